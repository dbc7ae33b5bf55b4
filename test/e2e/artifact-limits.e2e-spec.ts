import { CommandBus } from '@nestjs/cqrs';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createTestApp, type TestApp } from '@app/testing/create-test-app';
import { bearer, makeUser, type TestUser } from '@app/testing/factories';
import { submitJob, waitForJob, type JobBody } from '@app/testing/jobs';
import { PurgeExpiredJobsCommand } from '../../src/modules/jobs/commands/purge-expired-jobs/purge-expired-jobs.command';
import { JobStore } from '../../src/modules/jobs/job-store';
import { TEST_ADMIN, TEST_ENV } from '../test-env';

const MAX_BYTES = 300_000;
const QUOTA_BYTES = 1024 * 1024; // USER_STORAGE_QUOTA_MB=1
/** A quarter of the quota: four such files fill it exactly. */
const QUARTER = QUOTA_BYTES / 4;

/** A csv-export whose CSV is exactly `bytes` long: header `a` CRLF, one cell of x's, CRLF. */
const csvOf = (bytes: number) => ({
  type: 'csv-export',
  maxRetries: 3,
  payload: { data: [{ a: 'x'.repeat(bytes - 5) }] },
});
/** 1,000 rows × 1,000 columns of (mostly empty) cells: about 1 MB of CSV from a 10 KB payload. */
const wideCsv = {
  type: 'csv-export',
  maxRetries: 3,
  payload: { data: Array.from({ length: 1000 }, (_, i) => ({ [`k${i}`]: i })) },
};

/**
 * ARTIFACT_MAX_BYTES and USER_STORAGE_QUOTA_MB against the real app with its worker in-process
 * (PROCESS_ROLE=all, csv-export in the job threads: run `npm run build` first), PostgreSQL and Redis.
 */
describe('Artifact limits (e2e)', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({
      PROCESS_ROLE: 'all',
      WORKER_CONCURRENCY: '8',
      JOB_THREADS: '2',
      ARTIFACT_MAX_BYTES: String(MAX_BYTES),
      USER_STORAGE_QUOTA_MB: '1',
      JOB_RETENTION_DAYS: '30',
    });
    db = t.app.get(DataSource);
  });
  afterAll(() => t?.close());

  const artifactDir = (jobId: string) => join(TEST_ENV.ARTIFACTS_DIR, jobId);
  const fileBytes = (job: JobBody) => statSync(join(artifactDir(job.id), 'export.csv')).size;
  const run = async (user: TestUser, body: Record<string, unknown>) =>
    waitForJob(t, user.apiKey, (await submitJob(t, user.apiKey, body)).id);
  const post = (user: TestUser, body: Record<string, unknown>) =>
    t.http().post('/api/jobs').set('X-API-Key', user.apiKey).send(body);
  const storageOf = async (user: TestUser) =>
    (await t.http().get('/api/jobs/stats').set('X-API-Key', user.apiKey).expect(200)).body.data.storage as {
      usedBytes: number;
      limitBytes: number;
      artifacts: number;
    };
  const expectNothingKept = async (user: TestUser, job: JobBody) => {
    expect(existsSync(artifactDir(job.id))).toBe(false);
    await t.http().get(`/api/jobs/${job.id}/artifact`).set('X-API-Key', user.apiKey).expect(404);
  };

  it('fails a file over ARTIFACT_MAX_BYTES at once, with the size and the limit, and keeps nothing', async () => {
    const user = await makeUser(t);
    const job = await run(user, wideCsv);
    expect(job).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(job.error).toMatch(
      /^The artifact is over the 0.3 MB \(300000 bytes\) limit \(ARTIFACT_MAX_BYTES\): producing it stopped at [\d.]+ MB \((\d+) bytes\); nothing was kept$/,
    );
    // Stopped within a piece of the limit, not after building the whole (about 1 MB).
    const stoppedAt = Number(/\((\d+) bytes\); nothing/.exec(job.error!)![1]);
    expect(stoppedAt).toBeGreaterThan(MAX_BYTES);
    expect(stoppedAt).toBeLessThan(800_000);
    await expectNothingKept(user, job);
    expect(await storageOf(user)).toEqual({ usedBytes: 0, limitBytes: QUOTA_BYTES, artifacts: 0 });

    const fits = await run(user, csvOf(MAX_BYTES));
    expect(fits.status).toBe('DONE');
    expect(fileBytes(fits)).toBe(MAX_BYTES);
  });

  it('keeps files up to the quota, refuses the one over it with the numbers, then refuses submissions', async () => {
    const user = await makeUser(t);
    const other = await makeUser(t);
    const kept = [await run(user, csvOf(QUARTER)), await run(user, csvOf(QUARTER))];
    kept.push(await run(user, csvOf(QUARTER)));
    expect(kept.map((job) => job.status)).toEqual(['DONE', 'DONE', 'DONE']);

    const over = await run(user, csvOf(QUARTER + 1));
    expect(over).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(over.error).toBe(
      `Storage quota exceeded: this artifact is 0.3 MB (${QUARTER + 1} bytes) and you use 0.8 of 1 MB ` +
        `(${3 * QUARTER} of ${QUOTA_BYTES} bytes); nothing was kept. Space comes back as your finished jobs ` +
        'pass retention (JOB_RETENTION_DAYS).',
    );
    await expectNothingKept(user, over);

    const last = { ...csvOf(QUARTER), idempotencyKey: 'fills-the-quota' };
    kept.push(await run(user, last)); // exactly the quota
    expect(kept[3].status).toBe('DONE');
    const onDisk = kept.map(fileBytes).reduce((a, b) => a + b, 0);
    expect(onDisk).toBe(QUOTA_BYTES);
    expect(await storageOf(user)).toEqual({ usedBytes: onDisk, limitBytes: QUOTA_BYTES, artifacts: 4 });

    const refused = await post(user, csvOf(10)).expect(403);
    expect(refused.body).toEqual({
      success: false,
      code: 'STORAGE_QUOTA_EXCEEDED',
      requestId: expect.any(String),
      message:
        `Storage quota exceeded: you use 1 of 1 MB (${QUOTA_BYTES} of ${QUOTA_BYTES} bytes) in 4 artifact(s), so ` +
        'csv-export jobs, which keep a file, cannot be submitted. Space comes back as your finished jobs pass ' +
        'retention (JOB_RETENTION_DAYS).',
    });
    const batch = await t
      .http()
      .post('/api/jobs/batch')
      .set('X-API-Key', user.apiKey)
      .send({ jobs: [{ type: 'sleep', payload: { delayMs: 1 } }, csvOf(10)] })
      .expect(403);
    expect(batch.body.code).toBe('STORAGE_QUOTA_EXCEEDED');
    await post(user, { type: 'sleep', payload: { delayMs: 1 } }).expect(201); // keeps no file
    // An idempotent replay makes no job, so it is answered as before.
    expect((await post(user, last).expect(200)).body.data.id).toBe(kept[3].id);

    // Another user is not touched by it.
    expect((await run(other, csvOf(QUARTER))).status).toBe('DONE');
    expect(await storageOf(other)).toEqual({ usedBytes: QUARTER, limitBytes: QUOTA_BYTES, artifacts: 1 });
    // An admin's stats cover everyone's files, as the rest of them do; the limit is the per-user one.
    const admin = await t.http().post('/api/auth/login').send(TEST_ADMIN).expect(200);
    const everyone = (
      await t.http().get('/api/jobs/stats').set(bearer(admin.body.data.accessToken)).expect(200)
    ).body.data.storage;
    expect(everyone.limitBytes).toBe(QUOTA_BYTES);
    expect(everyone.usedBytes).toBeGreaterThanOrEqual(QUOTA_BYTES + QUARTER);
    expect(everyone.artifacts).toBeGreaterThanOrEqual(5);

    // Retention frees the space with the file.
    await db.query(`UPDATE jobs SET finished_at = now() - interval '31 days' WHERE id = $1`, [kept[0].id]);
    await t.app.get(CommandBus).execute(new PurgeExpiredJobsCommand(100));
    expect(existsSync(artifactDir(kept[0].id))).toBe(false);
    expect(await storageOf(user)).toEqual({
      usedBytes: 3 * QUARTER,
      limitBytes: QUOTA_BYTES,
      artifacts: 3,
    });
    expect((await run(user, csvOf(QUARTER))).status).toBe('DONE');
  });

  it('lets jobs finishing at the same time keep no more than the quota', async () => {
    const user = await makeUser(t);
    const jobs = await Promise.all(
      Array.from({ length: 6 }, () => submitJob(t, user.apiKey, csvOf(QUARTER))),
    );
    const finished = await Promise.all(jobs.map((job) => waitForJob(t, user.apiKey, job.id)));
    const done = finished.filter((job) => job.status === 'DONE');
    expect(done).toHaveLength(4);
    for (const job of finished.filter((j) => j.status !== 'DONE')) {
      expect(job).toMatchObject({ status: 'FAILED', attempts: 1 });
      expect(job.error).toMatch(
        /^Storage quota exceeded: this artifact is 0.3 MB \(262144 bytes\) and you use 1 of 1 MB/,
      );
      await expectNothingKept(user, job);
    }
    expect((await storageOf(user)).usedBytes).toBe(done.map(fileBytes).reduce((a, b) => a + b, 0));
  });

  it('serializes the quota check of one user: of ten simultaneous finishes, exactly those that fit are kept', async () => {
    const user = await makeUser(t);
    const ids = (
      await db.query<{ id: string }[]>(
        `INSERT INTO jobs (user_id, type, payload, max_retries, timeout_ms, status, attempts)
         SELECT $1, 'csv-export', '{}', 0, 30000, 'PROCESSING', 1 FROM generate_series(1, 10) RETURNING id`,
        [user.id],
      )
    ).map((row) => row.id);
    const store = t.app.get(JobStore);
    const outcomes = await Promise.allSettled(
      ids.map((id) =>
        store.succeed(id, 1, null, {
          path: `${id}/export.csv`,
          contentType: 'text/csv',
          bytes: 300_000,
          quotaBytes: QUOTA_BYTES,
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value?.status === 'DONE')).toHaveLength(3);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused).toHaveLength(7);
    for (const o of refused)
      expect(String(o.reason)).toContain('you use 0.9 of 1 MB (900000 of 1048576 bytes)');
    const [row] = await db.query<{ used: number }[]>(
      `SELECT sum(artifact_bytes)::float8 AS used FROM jobs WHERE user_id = $1`,
      [user.id],
    );
    expect(row.used).toBe(900_000);
  });

  it("keeps its owner's counter equal to the sum of their kept files through finishes, refusals and a purge", async () => {
    const user = await makeUser(t);
    const other = await makeUser(t);
    const store = t.app.get(JobStore);
    const processing = async (owner: TestUser, n: number) =>
      (
        await db.query<{ id: string }[]>(
          `INSERT INTO jobs (user_id, type, payload, max_retries, timeout_ms, status, attempts)
           SELECT $1, 'csv-export', '{}', 0, 30000, 'PROCESSING', 1 FROM generate_series(1, $2::int) RETURNING id`,
          [owner.id, n],
        )
      ).map((row) => row.id);
    const finish = (ids: string[], bytes: number) =>
      Promise.allSettled(
        ids.map((id) =>
          store.succeed(id, 1, null, {
            path: `${id}/export.csv`,
            contentType: 'text/csv',
            bytes,
            quotaBytes: QUOTA_BYTES,
          }),
        ),
      );
    const counted = async (owner: TestUser) => {
      const [row] = await db.query<{ counter: number; counterFiles: number; sum: number; files: number }[]>(
        `SELECT (SELECT used_bytes FROM user_storage WHERE user_id = $1)::float8 AS counter,
                (SELECT artifacts FROM user_storage WHERE user_id = $1) AS "counterFiles",
                COALESCE(sum(artifact_bytes), 0)::float8 AS sum, count(artifact_bytes)::int AS files
           FROM jobs WHERE user_id = $1`,
        [owner.id],
      );
      expect({ bytes: row.counter, files: row.counterFiles }).toEqual({ bytes: row.sum, files: row.files });
      expect(await storageOf(owner)).toEqual({
        usedBytes: row.sum,
        limitBytes: QUOTA_BYTES,
        artifacts: row.files,
      });
      return { bytes: row.sum, files: row.files };
    };
    const kept = (outcomes: PromiseSettledResult<unknown>[]) =>
      outcomes.filter((o) => o.status === 'fulfilled' && (o.value as { status?: string })?.status === 'DONE')
        .length;

    // Eight at once from no counter row: five of 200,000 bytes fit in 1 MiB, three are refused.
    const first = await finish(await processing(user, 8), 200_000);
    expect(kept(first)).toBe(5);
    expect(first.filter((o) => o.status === 'rejected')).toHaveLength(3);
    expect(await counted(user)).toEqual({ bytes: 1_000_000, files: 5 });

    // A job that moved on (cancelled) and a stale attempt change nothing; another user's finish neither.
    const [cancelled, stale] = await processing(user, 2);
    await db.query(`UPDATE jobs SET status = 'CANCELLED', finished_at = now() WHERE id = $1`, [cancelled]);
    expect(
      await store.succeed(cancelled, 1, null, {
        path: 'x',
        contentType: 'text/csv',
        bytes: 1,
        quotaBytes: QUOTA_BYTES,
      }),
    ).toBeUndefined();
    expect(
      await store.succeed(stale, 2, null, {
        path: 'x',
        contentType: 'text/csv',
        bytes: 1,
        quotaBytes: QUOTA_BYTES,
      }),
    ).toBeUndefined();
    expect(kept(await finish(await processing(other, 1), 300_000))).toBe(1);
    expect(await counted(user)).toEqual({ bytes: 1_000_000, files: 5 });
    expect(await counted(other)).toEqual({ bytes: 300_000, files: 1 });

    // Retention takes two of the user's files (and the cancelled job, which kept none) and one of the other's.
    const doneIds = (
      await db.query<{ id: string }[]>(
        `SELECT id FROM jobs WHERE user_id = $1 AND status = 'DONE' ORDER BY id LIMIT 2`,
        [user.id],
      )
    ).map((row) => row.id);
    await db.query(
      `UPDATE jobs SET finished_at = now() - interval '31 days'
        WHERE id = ANY($1) OR id = $2 OR (user_id = $3 AND status = 'DONE')`,
      [doneIds, cancelled, other.id],
    );
    await t.app.get(CommandBus).execute(new PurgeExpiredJobsCommand(2)); // in batches of two
    expect(await counted(user)).toEqual({ bytes: 600_000, files: 3 });
    expect(await counted(other)).toEqual({ bytes: 0, files: 0 });

    // The room given back is taken again, exactly: two more fit, the third is refused with the numbers.
    const again = await finish(await processing(user, 3), 200_000);
    expect(kept(again)).toBe(2);
    const refused = again.filter((o) => o.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(String(refused[0].reason)).toContain('(1000000 of 1048576 bytes)');
    expect(await counted(user)).toEqual({ bytes: 1_000_000, files: 5 });
  });

  describe('a finish waiting on a row another transaction holds', () => {
    const artifact = (id: string) => ({
      path: `${id}/export.csv`,
      contentType: 'text/csv',
      bytes: 100_000,
      quotaBytes: QUOTA_BYTES,
    });
    const counterOf = async (user: TestUser) =>
      (
        await db.query<{ bytes: number; artifacts: number }[]>(
          `SELECT used_bytes::float8 AS bytes, artifacts FROM user_storage WHERE user_id = $1`,
          [user.id],
        )
      )[0];
    /** A user with `bytes` counted in one file and a PROCESSING job (attempt 1). */
    const userWith = async (bytes: number) => {
      const user = await makeUser(t);
      const [{ id }] = await db.query<{ id: string }[]>(
        `INSERT INTO jobs (user_id, type, payload, max_retries, timeout_ms, status, attempts)
         VALUES ($1, 'csv-export', '{}', 0, 30000, 'PROCESSING', 1) RETURNING id`,
        [user.id],
      );
      const done = await run(user, csvOf(bytes));
      expect(done.status).toBe('DONE');
      return { user, id };
    };
    /** `change` in a transaction of its own, held open until `work` waits on it, then committed. */
    const whileHeld = async <T>(change: [string, unknown[]], work: () => Promise<T>) => {
      const holder = db.createQueryRunner();
      await holder.connect();
      try {
        await holder.startTransaction();
        const [{ pid }] = (await holder.query(`SELECT pg_backend_pid() AS pid`)) as { pid: number }[];
        await holder.query(...change);
        const working = work();
        for (;;) {
          const [{ waiting }] = await db.query<{ waiting: boolean }[]>(
            `SELECT EXISTS (SELECT FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))) AS waiting`,
            [pid],
          );
          if (waiting) break;
          await new Promise((resolve) => setImmediate(resolve));
        }
        await holder.commitTransaction();
        return await working;
      } finally {
        await holder.release();
      }
    };

    it('on its job row: applies after a progress update, changes nothing after a cancel', async () => {
      const store = t.app.get(JobStore);
      const a = await userWith(QUARTER);
      const job = await whileHeld([`UPDATE jobs SET progress = 50 WHERE id = $1`, [a.id]], () =>
        store.succeed(a.id, 1, null, artifact(a.id)),
      );
      expect(job).toMatchObject({ status: 'DONE', progress: 100, artifactBytes: '100000' });
      expect(await counterOf(a.user)).toEqual({ bytes: QUARTER + 100_000, artifacts: 2 });

      const b = await userWith(QUARTER);
      const cancelled = await whileHeld(
        [`UPDATE jobs SET status = 'CANCELLED', finished_at = now() WHERE id = $1`, [b.id]],
        () => store.succeed(b.id, 1, null, artifact(b.id)),
      );
      expect(cancelled).toBeUndefined();
      expect(await counterOf(b.user)).toEqual({ bytes: QUARTER, artifacts: 1 });
      const [row] = await db.query<{ status: string; artifact_bytes: string | null }[]>(
        `SELECT status, artifact_bytes FROM jobs WHERE id = $1`,
        [b.id],
      );
      expect(row).toEqual({ status: 'CANCELLED', artifact_bytes: null });
    });

    it("on its owner's counter row: counts what was committed meanwhile", async () => {
      const { user, id } = await userWith(QUARTER);
      const refusal = await whileHeld(
        [`UPDATE user_storage SET used_bytes = used_bytes + $2 WHERE user_id = $1`, [user.id, 3 * QUARTER]],
        () =>
          t.app
            .get(JobStore)
            .succeed(id, 1, null, artifact(id))
            .catch((error: unknown) => error),
      );
      expect(String(refusal)).toContain(`(${QUOTA_BYTES} of ${QUOTA_BYTES} bytes); nothing was kept`);
      expect(await counterOf(user)).toEqual({ bytes: QUOTA_BYTES, artifacts: 1 });
    });
  });
});
