import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { pollUntil } from '@app/testing/eventually';
import { makeUser, TestUser } from '@app/testing/factories';
import { JobBody, jobLogs, submitJob, waitForJob } from '@app/testing/jobs';
import { JobReconciler } from '../../src/modules/jobs/job-reconciler';
import { TEST_ENV } from '../test-env';

/**
 * A job's life on the real app: the BullMQ worker runs in-process (PROCESS_ROLE=all) with two slots, on the
 * machine's PostgreSQL and Redis, driven through the HTTP API with the `sleep` job type. Where a test needs
 * jobs to wait, two long "blocker" jobs fill both slots; cancelling one frees exactly one slot. The
 * background reconciler is switched off (its test calls it directly), so nothing re-enqueues behind a test's
 * back.
 */
describe('Job lifecycle (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let queue: Queue;
  let redis: Redis;
  let user: TestUser;
  let key: string;

  const CONCURRENCY = 2;
  const sleep = (payload: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'sleep',
    payload,
    ...extra,
  });
  const at = (iso: unknown) => {
    if (typeof iso !== 'string') throw new Error(`expected a timestamp, got ${String(iso)}`);
    return Date.parse(iso);
  };
  const api = () => ({
    get: (path: string) => t.http().get(path).set('X-API-Key', key),
    post: (path: string, body?: object) => t.http().post(path).set('X-API-Key', key).send(body),
    patch: (path: string, body: object) => t.http().patch(path).set('X-API-Key', key).send(body),
    delete: (path: string) => t.http().delete(path).set('X-API-Key', key),
  });

  const messages = async (id: string, apiKey = key) => (await jobLogs(t, apiKey, id)).map((l) => l.message);
  /** The job log once a line matches `pattern` (log lines are written just after the status changes). */
  const logsWith = (id: string, pattern: RegExp, apiKey = key) =>
    pollUntil(
      () => jobLogs(t, apiKey, id),
      (lines) => lines.some((l) => pattern.test(l.message)),
    );
  /** Every pattern matches a line, each after the previous one's line. */
  const expectInOrder = (lines: string[], patterns: (string | RegExp)[]) => {
    let from = 0;
    for (const pattern of patterns) {
      const i = lines.findIndex(
        (line, index) =>
          index >= from && (typeof pattern === 'string' ? line === pattern : pattern.test(line)),
      );
      if (i < 0) throw new Error(`no line after #${from} matches ${String(pattern)} in\n${lines.join('\n')}`);
      from = i + 1;
    }
  };
  const expectChronological = (lines: { createdAt: string }[]) => {
    const times = lines.map((l) => at(l.createdAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  };

  /** Blocker jobs (sleep 60 s) holding every worker slot; resolves once each one's attempt is running. */
  async function occupyWorkers(): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < CONCURRENCY; i++) {
      const job = await submitJob(t, key, sleep({ delayMs: 60_000 }, { maxRetries: 0, timeoutMs: 120_000 }));
      ids.push(job.id);
    }
    for (const id of ids) {
      await waitForJob(t, key, id, (j) => j.status === 'PROCESSING', 20_000);
      // The "started" line is written after the worker has registered the attempt for cancellation.
      await logsWith(id, /^Attempt 1 of 1 started/);
    }
    return ids;
  }

  /** Cancels a blocker (if still running) and waits until its worker slot is free again. */
  async function release(id: string) {
    const res = await api().delete(`/api/jobs/${id}`);
    if (res.status === 200) await logsWith(id, /stopped: the job was cancelled/);
  }

  beforeAll(async () => {
    t = await createTestApp({
      PROCESS_ROLE: 'all',
      WORKER_CONCURRENCY: String(CONCURRENCY),
      RECONCILE_INTERVAL_MS: '3600000',
    });
    db = t.app.get(DataSource);
    queue = t.app.get<Queue>(getQueueToken('jobs'));
    redis = new Redis(TEST_ENV.REDIS_URL);
    user = await makeUser(t);
    key = user.apiKey;
  });
  afterAll(async () => {
    await redis.quit();
    await t.close();
  });

  describe('priorities', () => {
    it('runs every waiting high job before normal before low', async () => {
      const blockers = await occupyWorkers();
      const submitted: JobBody[] = [];
      try {
        // Submitted interleaved and low first, so first-in-first-out would give the opposite order.
        for (let round = 0; round < 3; round++) {
          for (const priority of ['low', 'normal', 'high']) {
            submitted.push(await submitJob(t, key, sleep({ delayMs: 20 }, { priority })));
          }
        }
        for (const job of submitted)
          expect((await api().get(`/api/jobs/${job.id}`)).body.data.status).toBe('PENDING');

        await release(blockers[0]); // one slot: the waiting jobs now run one at a time
        const finished = await Promise.all(submitted.map((job) => waitForJob(t, key, job.id)));
        expect(finished.map((j) => j.status)).toEqual(Array(9).fill('DONE'));

        const byStart = [...finished].sort((a, b) => at(a.startedAt) - at(b.startedAt));
        expect(byStart.map((j) => j.priority)).toEqual([
          ...Array(3).fill('high'),
          ...Array(3).fill('normal'),
          ...Array(3).fill('low'),
        ]);
      } finally {
        for (const id of blockers) await release(id);
      }
    });
  });

  describe('scheduling', () => {
    it('keeps a job with delayMs or runAt PENDING until its time, then runs it', async () => {
      const before = Date.now();
      const delayed = await submitJob(t, key, sleep({ delayMs: 10 }, { delayMs: 1500 }));
      const runAt = new Date(Date.now() + 1500).toISOString();
      const scheduled = await submitJob(t, key, sleep({ delayMs: 10 }, { runAt }));

      expect(delayed).toMatchObject({ status: 'PENDING', attempts: 0, startedAt: null });
      expect(at(delayed.runAt)).toBeGreaterThanOrEqual(before + 1500);
      expect(Math.abs(at(delayed.runAt) - at(delayed.createdAt) - 1500)).toBeLessThan(250);
      expect(scheduled).toMatchObject({ status: 'PENDING', runAt, startedAt: null });

      // Not early: every read answered before a job's time shows it waiting.
      while (Date.now() < at(scheduled.runAt)) {
        for (const job of [delayed, scheduled]) {
          const res = await api().get(`/api/jobs/${job.id}`).expect(200);
          if (Date.now() < at(job.runAt)) {
            expect(res.body.data).toMatchObject({ status: 'PENDING', attempts: 0, startedAt: null });
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      for (const job of [delayed, scheduled]) {
        const done = await waitForJob(t, key, job.id, undefined, 20_000);
        expect(done).toMatchObject({ status: 'DONE', attempts: 1, result: { sleptMs: 10 } });
        // PostgreSQL and the app share this machine's clock. runAt is taken when the request arrives, a few ms
        // before the row's createdAt.
        expect(at(done.startedAt)).toBeGreaterThanOrEqual(at(job.runAt) - 5);
        expect(at(done.startedAt)).toBeGreaterThanOrEqual(at(job.createdAt) + 1500 - 50);
      }
    });
  });

  describe('retries', () => {
    it('retries with exponential backoff and ends DONE on the third attempt', async () => {
      const job = await submitJob(t, key, sleep({ delayMs: 10, failTimes: 2 }, { maxRetries: 3 }));

      const first = await waitForJob(t, key, job.id, (j) => j.status === 'PENDING' && j.attempts === 1);
      expect(first.error).toBe('Simulated failure (attempt 1 of failTimes 2)');
      // Retry 1 waits 2^1 s plus up to 1 s of jitter, counted from the failure (when the row changed).
      const wait1 = at(first.nextRetryAt) - at(first.updatedAt);
      expect(wait1).toBeGreaterThanOrEqual(2000);
      expect(wait1).toBeLessThan(3000);

      const second = await waitForJob(t, key, job.id, (j) => j.status === 'PENDING' && j.attempts === 2);
      expect(second.error).toBe('Simulated failure (attempt 2 of failTimes 2)');
      const wait2 = at(second.nextRetryAt) - at(second.updatedAt);
      expect(wait2).toBeGreaterThanOrEqual(4000);
      expect(wait2).toBeLessThan(5000);
      expect(at(second.startedAt)).toBeGreaterThanOrEqual(at(first.nextRetryAt) - 5);

      const done = await waitForJob(t, key, job.id);
      expect(done).toMatchObject({
        status: 'DONE',
        attempts: 3,
        error: null,
        nextRetryAt: null,
        result: { sleptMs: 10 },
        progress: 100,
      });
      expect(at(done.startedAt)).toBeGreaterThanOrEqual(at(second.nextRetryAt) - 5);

      const logs = await logsWith(job.id, /^Attempt 3 of 4 succeeded/);
      expectChronological(logs);
      expectInOrder(
        logs.map((l) => l.message),
        [
          /^Job created \(type sleep, priority normal\)/,
          'Attempt 1 of 4 started (status PROCESSING)',
          'Attempt 1 of 4 failed: Simulated failure (attempt 1 of failTimes 2)',
          `Retry scheduled at ${first.nextRetryAt} (status PENDING)`,
          'Attempt 2 of 4 started (status PROCESSING)',
          'Attempt 2 of 4 failed: Simulated failure (attempt 2 of failTimes 2)',
          `Retry scheduled at ${second.nextRetryAt} (status PENDING)`,
          'Attempt 3 of 4 started (status PROCESSING)',
          'Attempt 3 of 4 succeeded (status DONE)',
        ],
      );
    });

    it('ends FAILED with the last error once the retries are used up', async () => {
      const job = await submitJob(t, key, sleep({ delayMs: 10, forceFail: true }, { maxRetries: 1 }));
      const failed = await waitForJob(t, key, job.id);
      expect(failed).toMatchObject({
        status: 'FAILED',
        attempts: 2,
        error: 'Simulated failure (attempt 2, forceFail)',
        result: null,
        nextRetryAt: null,
      });
      expect(failed.finishedAt).not.toBeNull();

      const logs = await logsWith(job.id, /^Job failed after/);
      expectChronological(logs);
      const lines = logs.map((l) => l.message);
      expectInOrder(lines, [
        'Attempt 1 of 2 started (status PROCESSING)',
        'Attempt 1 of 2 failed: Simulated failure (attempt 1, forceFail)',
        /^Retry scheduled at .+ \(status PENDING\)$/,
        'Attempt 2 of 2 started (status PROCESSING)',
        'Attempt 2 of 2 failed: Simulated failure (attempt 2, forceFail)',
        'Job failed after 2 attempt(s) (status FAILED)',
      ]);
      expect(logs.find((l) => l.message.startsWith('Job failed after'))?.level).toBe('error');
      expect(lines.filter((l) => l.startsWith('Retry scheduled'))).toHaveLength(1);
    });

    it('fails an attempt that outlives timeoutMs, and stops it', async () => {
      const job = await submitJob(t, key, sleep({ delayMs: 5000 }, { timeoutMs: 1000, maxRetries: 0 }));
      const failed = await waitForJob(t, key, job.id);
      expect(failed).toMatchObject({ status: 'FAILED', attempts: 1, error: 'Job timed out after 1000 ms' });
      const ran = at(failed.finishedAt) - at(failed.startedAt);
      expect(ran).toBeGreaterThanOrEqual(990);
      expect(ran).toBeLessThan(4000); // stopped by its signal, not after the 5 s sleep
      expectInOrder(await messages(job.id), ['Attempt 1 of 1 failed: Job timed out after 1000 ms']);
    });
  });

  describe('DELETE /api/jobs/:id (cancel)', () => {
    it('cancels a PENDING job at once and takes it out of the queue', async () => {
      const job = await submitJob(t, key, sleep({ delayMs: 10 }, { delayMs: 60_000 }));
      expect(await queue.getJob(job.id)).toBeDefined();

      const res = await api().delete(`/api/jobs/${job.id}`).expect(200);
      expect(res.body).toMatchObject({ success: true, message: 'Job cancelled' });
      expect(res.body.data).toMatchObject({ id: job.id, status: 'CANCELLED', attempts: 0 });
      expect(res.body.data.finishedAt).not.toBeNull();
      expect(await queue.getJob(job.id)).toBeUndefined();
      await logsWith(job.id, /^Job cancelled \(status CANCELLED\)$/);
    });

    it('never runs a cancelled waiting job, stops a PROCESSING one and frees its slot', async () => {
      const [running, other] = await occupyWorkers();
      try {
        const waiting = await submitJob(t, key, sleep({ delayMs: 10 }));
        await api().delete(`/api/jobs/${waiting.id}`).expect(200);

        const cancelledAt = Date.now();
        const res = await api().delete(`/api/jobs/${running}`).expect(200);
        expect(res.body.data).toMatchObject({ id: running, status: 'CANCELLED', attempts: 1 });
        const logs = await logsWith(running, /^Attempt 1 stopped: the job was cancelled$/);
        expectInOrder(
          logs.map((l) => l.message),
          [
            'Attempt 1 of 1 started (status PROCESSING)',
            'Job cancelled (status CANCELLED)',
            'Attempt 1 stopped: the job was cancelled',
          ],
        );

        // `other` still holds the second slot: this job can only run in the one just freed.
        const next = await submitJob(t, key, sleep({ delayMs: 10 }));
        const done = await waitForJob(t, key, next.id, undefined, 20_000);
        expect(done.status).toBe('DONE');
        expect(Date.now() - cancelledAt).toBeLessThan(15_000); // the 60 s sleep did not hold the slot

        // The waiting job was submitted before `next` and would have run first had it stayed queued.
        const never = (await api().get(`/api/jobs/${waiting.id}`).expect(200)).body.data as JobBody;
        expect(never).toMatchObject({ status: 'CANCELLED', attempts: 0, startedAt: null });
        expect((await messages(waiting.id)).some((m) => m.includes('started'))).toBe(false);

        const stopped = (await api().get(`/api/jobs/${running}`).expect(200)).body.data as JobBody;
        expect(stopped).toMatchObject({ status: 'CANCELLED', attempts: 1, result: null });
        expect((await messages(running)).some((m) => m.includes('succeeded'))).toBe(false);
      } finally {
        await release(running);
        await release(other);
      }
    });

    it('answers 400 for a job that has finished', async () => {
      const job = await submitJob(t, key, sleep({ delayMs: 10 }));
      await waitForJob(t, key, job.id);
      const res = await api().delete(`/api/jobs/${job.id}`).expect(400);
      expect(res.body).toMatchObject({
        success: false,
        code: 'INVALID_OPERATION',
        message: 'Cannot cancel job with status DONE. Only PENDING or PROCESSING jobs can be cancelled.',
      });
      expect((await api().get(`/api/jobs/${job.id}`).expect(200)).body.data.status).toBe('DONE');
    });
  });

  describe('POST /api/jobs/:id/retry', () => {
    it('re-queues a FAILED job with attempts reset, and its transient fault clears over its life', async () => {
      // failTimes counts the job's attempts over its whole life: 2 failures in all, across retries.
      const job = await submitJob(t, key, sleep({ delayMs: 10, failTimes: 2 }, { maxRetries: 0 }));
      const failed = await waitForJob(t, key, job.id);
      expect(failed).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: 'Simulated failure (attempt 1 of failTimes 2)',
      });

      const res = await api().post(`/api/jobs/${job.id}/retry`).expect(201);
      expect(res.body.data).toMatchObject({
        id: job.id,
        status: 'PENDING',
        attempts: 0,
        error: null,
        result: null,
        startedAt: null,
        finishedAt: null,
        nextRetryAt: null,
      });
      // Attempts were reset: the rerun is attempt 1 (of 1), the job's second in all, and fails again.
      const again = await waitForJob(t, key, job.id);
      expect(again).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: 'Simulated failure (attempt 2 of failTimes 2)',
      });

      await api().post(`/api/jobs/${job.id}/retry`).expect(201);
      const done = await waitForJob(t, key, job.id);
      expect(done).toMatchObject({ status: 'DONE', attempts: 1, error: null, result: { sleptMs: 10 } });
      const logs = await logsWith(job.id, /succeeded \(status DONE\)/);
      expectInOrder(
        logs.map((l) => l.message),
        [
          'Attempt 1 of 1 failed: Simulated failure (attempt 1 of failTimes 2)',
          'Job re-queued by its owner (attempts reset)',
          'Attempt 1 of 1 failed: Simulated failure (attempt 2 of failTimes 2)',
          'Job re-queued by its owner (attempts reset)',
          'Attempt 1 of 1 succeeded (status DONE)',
        ],
      );
    });

    it('runs a CANCELLED scheduled job now, its schedule cleared', async () => {
      const job = await submitJob(t, key, sleep({ delayMs: 10 }, { delayMs: 60_000 }));
      await api().delete(`/api/jobs/${job.id}`).expect(200);
      const res = await api().post(`/api/jobs/${job.id}/retry`).expect(201);
      expect(res.body.data).toMatchObject({ status: 'PENDING', attempts: 0, runAt: null });
      const done = await waitForJob(t, key, job.id, undefined, 20_000);
      expect(done).toMatchObject({ status: 'DONE', attempts: 1, result: { sleptMs: 10 } });
    });

    it('runs again a job retried while its cancelled attempt is still unwinding', async () => {
      const job = await submitJob(t, key, sleep({ delayMs: 3000 }, { maxRetries: 0 }));
      await waitForJob(t, key, job.id, (j) => j.status === 'PROCESSING');
      await logsWith(job.id, /^Attempt 1 of 1 started/);

      // The cancelled attempt's last log write stalls, as on a busy database: the attempt writes that line
      // before it lets go of its queue entry, so that entry is still active when the retry comes in. A
      // trigger holds exactly that write (this job's "stopped" line) on an advisory lock the test holds until
      // the retry is answered, or 2 s at most (for a server that waits for the old attempt to end).
      const LOCK = 4242;
      const stall = db.createQueryRunner();
      await stall.connect();
      await stall.query(`
        CREATE FUNCTION stall_stopped_line() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.job_id = '${job.id}' AND NEW.message LIKE 'Attempt % stopped%' THEN
            PERFORM pg_advisory_xact_lock(${LOCK});
          END IF;
          RETURN NEW;
        END $$`);
      await stall.query(
        `CREATE TRIGGER stall_stopped_line BEFORE INSERT ON job_logs FOR EACH ROW EXECUTE FUNCTION stall_stopped_line()`,
      );
      await stall.query('SELECT pg_advisory_lock($1)', [LOCK]);
      const endStall = async () => {
        if (stall.isReleased) return;
        await stall.query('SELECT pg_advisory_unlock_all()');
        await stall.query('DROP TRIGGER IF EXISTS stall_stopped_line ON job_logs');
        await stall.query('DROP FUNCTION IF EXISTS stall_stopped_line()');
        await stall.release();
      };
      try {
        await api().delete(`/api/jobs/${job.id}`).expect(200);
        const retried = api()
          .post(`/api/jobs/${job.id}/retry`)
          .then((res) => res);
        await Promise.race([retried, new Promise((resolve) => setTimeout(resolve, 2000))]);
        await endStall();
        const res = await retried;
        expect(res.status).toBe(201);
        expect(res.body.data).toMatchObject({ status: 'PENDING', attempts: 0 });
      } finally {
        await endStall();
      }
      await logsWith(job.id, /^Attempt 1 stopped: the job was cancelled$/);

      const done = await waitForJob(t, key, job.id, undefined, 20_000);
      expect(done).toMatchObject({ status: 'DONE', attempts: 1, result: { sleptMs: 3000 } });
    });

    it('answers 400 for a job that is not FAILED or CANCELLED', async () => {
      const job = await submitJob(t, key, sleep({ delayMs: 10 }));
      await waitForJob(t, key, job.id);
      const res = await api().post(`/api/jobs/${job.id}/retry`).expect(400);
      expect(res.body).toMatchObject({
        success: false,
        code: 'INVALID_OPERATION',
        message: 'Cannot retry job with status DONE. Only FAILED or CANCELLED jobs can be retried.',
      });
      expect((await api().get(`/api/jobs/${job.id}`).expect(200)).body.data).toMatchObject({
        status: 'DONE',
        attempts: 1,
      });
    });
  });

  describe('PATCH /api/jobs/:id', () => {
    it('changes priority and runAt of a PENDING job, and the queue follows', async () => {
      const job = await submitJob(t, key, sleep({ delayMs: 10 }, { delayMs: 60_000, priority: 'low' }));
      const later = new Date(Date.now() + 120_000).toISOString();
      const res = await api().patch(`/api/jobs/${job.id}`, { priority: 'high', runAt: later }).expect(200);
      expect(res.body).toMatchObject({ success: true, message: 'Job updated' });
      expect(res.body.data).toMatchObject({ status: 'PENDING', priority: 'high', runAt: later });
      expect((await api().get(`/api/jobs/${job.id}`).expect(200)).body.data).toMatchObject({
        status: 'PENDING',
        priority: 'high',
        runAt: later,
      });

      // Brought forward: it runs at the new time, not at the old one.
      const soon = new Date(Date.now() + 500).toISOString();
      await api().patch(`/api/jobs/${job.id}`, { runAt: soon }).expect(200);
      const done = await waitForJob(t, key, job.id, undefined, 20_000);
      expect(done).toMatchObject({ status: 'DONE', priority: 'high', runAt: soon });
      expect(at(done.startedAt)).toBeGreaterThanOrEqual(at(soon) - 5);
    });

    it('answers 400 for a job that is not PENDING', async () => {
      const job = await submitJob(t, key, sleep({ delayMs: 10 }));
      await waitForJob(t, key, job.id);
      const res = await api().patch(`/api/jobs/${job.id}`, { priority: 'high' }).expect(400);
      expect(res.body).toMatchObject({
        success: false,
        code: 'INVALID_OPERATION',
        message: 'Cannot change job with status DONE. Only PENDING jobs can be changed.',
      });
      expect((await api().get(`/api/jobs/${job.id}`).expect(200)).body.data.priority).toBe('normal');
    });

    it('answers 400 naming an unknown field, and changes nothing', async () => {
      const job = await submitJob(t, key, sleep({ delayMs: 10 }, { delayMs: 60_000 }));
      const res = await api().patch(`/api/jobs/${job.id}`, { priority: 'high', attempts: 5 }).expect(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
      expect(res.body.errors.attempts).toEqual(expect.arrayContaining([expect.any(String)]));
      expect(res.body.message).toContain('attempts');
      expect((await api().get(`/api/jobs/${job.id}`).expect(200)).body.data).toMatchObject({
        priority: 'normal',
        attempts: 0,
      });
      await api().delete(`/api/jobs/${job.id}`).expect(200);
    });
  });

  describe('reconciler', () => {
    const insertPending = async (updatedAgo: string) => {
      const [row] = await db.query<{ id: string }[]>(
        `INSERT INTO jobs (user_id, type, status, priority, payload, max_retries, timeout_ms, created_at, updated_at)
         VALUES ($1, 'sleep', 'PENDING', 'normal', '{"delayMs": 10}'::jsonb, 0, 30000,
                 now() - $2::interval, now() - $2::interval)
         RETURNING id`,
        [user.id, updatedAgo],
      );
      return row.id;
    };
    const runOnce = () => t.app.get(JobReconciler).runOnce();

    it('enqueues a PENDING row that has no queue entry, and it runs', async () => {
      const orphan = await insertPending('1 minute');
      const fresh = await insertPending('0 seconds'); // may still be on its way into the queue: left alone
      try {
        expect((await api().get(`/api/jobs/${orphan}`).expect(200)).body.data.status).toBe('PENDING');
        expect(await queue.getJob(orphan)).toBeUndefined();

        const { enqueued } = await runOnce();
        expect(enqueued).toBeGreaterThanOrEqual(1);
        const done = await waitForJob(t, key, orphan, undefined, 20_000);
        expect(done).toMatchObject({ status: 'DONE', attempts: 1, result: { sleptMs: 10 } });
        expectInOrder(await messages(orphan), [
          'Re-enqueued by the reconciler: it had no queue entry',
          'Attempt 1 of 1 started (status PROCESSING)',
          'Attempt 1 of 1 succeeded (status DONE)',
        ]);

        expect(await queue.getJob(fresh)).toBeUndefined();
        expect((await api().get(`/api/jobs/${fresh}`).expect(200)).body.data.status).toBe('PENDING');
        expect(await messages(fresh)).toEqual([]);
      } finally {
        await api().delete(`/api/jobs/${fresh}`);
      }
    });
  });

  describe('GET /api/jobs/:id (cache)', () => {
    it('never serves a stale job after a cancel, a change or a retry', async () => {
      const job = await submitJob(t, key, sleep({ delayMs: 10 }, { delayMs: 60_000 }));
      expect((await api().get(`/api/jobs/${job.id}`).expect(200)).body.data.priority).toBe('normal');
      expect(await redis.exists(`conveyor:job:${job.id}`)).toBe(1); // it is served from the cache now

      await api().patch(`/api/jobs/${job.id}`, { priority: 'low' }).expect(200);
      expect((await api().get(`/api/jobs/${job.id}`).expect(200)).body.data.priority).toBe('low');

      await api().delete(`/api/jobs/${job.id}`).expect(200);
      expect((await api().get(`/api/jobs/${job.id}`).expect(200)).body.data.status).toBe('CANCELLED');

      const res = await api().post(`/api/jobs/${job.id}/retry`).expect(201);
      const read = (await api().get(`/api/jobs/${job.id}`).expect(200)).body.data as JobBody;
      expect(['PENDING', 'PROCESSING', 'DONE']).toContain(read.status);
      expect(at(read.updatedAt)).toBeGreaterThanOrEqual(at(res.body.data.updatedAt));
      await waitForJob(t, key, job.id);
    });
  });

  describe('GET /api/jobs/stats', () => {
    it("counts the caller's jobs by status and day, with the live queue", async () => {
      const fresh = await makeUser(t);
      const submit = (body: Record<string, unknown>) => submitJob(t, fresh.apiKey, body);
      const done = [await submit(sleep({ delayMs: 10 })), await submit(sleep({ delayMs: 10 }))];
      const failed = await submit(sleep({ delayMs: 10, forceFail: true }, { maxRetries: 0 }));
      const cancelled = await submit(sleep({ delayMs: 10 }, { delayMs: 60_000 }));
      const pending = await submit(sleep({ delayMs: 10 }, { delayMs: 60_000 }));
      await t.http().delete(`/api/jobs/${cancelled.id}`).set('X-API-Key', fresh.apiKey).expect(200);
      for (const job of [...done, failed]) await waitForJob(t, fresh.apiKey, job.id);

      try {
        const res = await t.http().get('/api/jobs/stats').set('X-API-Key', fresh.apiKey).expect(200);
        const today = new Date().toISOString().slice(0, 10);
        const stats = res.body.data;
        expect(stats.counts).toEqual({ PENDING: 1, PROCESSING: 0, DONE: 2, FAILED: 1, CANCELLED: 1 });
        expect(stats.successRate).toBe(66.67);
        expect(stats.last7Days).toHaveLength(7);
        const dates = stats.last7Days.map((d: { date: string }) => d.date);
        expect(dates).toEqual(
          Array.from({ length: 7 }, (_, i) => new Date(Date.parse(today) - (6 - i) * 86_400_000)).map((d) =>
            d.toISOString().slice(0, 10),
          ),
        );
        expect(stats.last7Days[6]).toEqual({ date: today, done: 2, failed: 1 });
        expect(
          stats.last7Days.slice(0, 6).every((d: { done: number; failed: number }) => !d.done && !d.failed),
        ).toBe(true);
        expect(stats.queue).toEqual({
          waiting: expect.any(Number),
          active: expect.any(Number),
          delayed: expect.any(Number),
          prioritized: expect.any(Number),
        });
        expect(stats.queue.delayed).toBeGreaterThanOrEqual(1); // `pending` waits for its time
        expect(stats.workers).toBeGreaterThanOrEqual(1);
        expect(Number.isInteger(stats.uptimeSeconds)).toBe(true);
        expect(stats.uptimeSeconds).toBeGreaterThanOrEqual(0);
      } finally {
        await t.http().delete(`/api/jobs/${pending.id}`).set('X-API-Key', fresh.apiKey);
      }
    });
  });
});
