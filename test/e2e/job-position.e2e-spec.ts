import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { jobsGet, jobsPosition } from '@app/sdk/index';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { pollUntil } from '@app/testing/eventually';
import { makeUser, TestUser } from '@app/testing/factories';
import { submitJob, waitForJob } from '@app/testing/jobs';
import { sdkHarness } from '@app/testing/sdk-client';
import { freePort, spawnApp, SpawnedApp } from '@app/testing/spawn-app';
import { dataSourceOptions } from '../../src/config/data-source';
import { serverUrls, TEST_ADMIN, TEST_DATABASE } from '../test-env';

interface QueueBody {
  state: string;
  ahead: number;
  position: number;
  reason: string;
  estimatedStartAt: string | null;
}

/**
 * A PENDING job's place in line (`queue` of GET /api/jobs/:id, and GET /api/jobs/:id/position) on the real
 * app. `ahead` counts every PENDING job in the database, so this file has a database of its own (other suites
 * leave PENDING jobs in the shared one). First with no worker (PROCESS_ROLE=api), so nothing moves; then with
 * a real worker process (the built dist, one slot) on the same database and queue, for a failed attempt and
 * the start rate.
 */
describe('Job position (e2e)', () => {
  const database = `${TEST_DATABASE}_position_${process.pid}`;
  const databaseUrl = `${serverUrls.pg}/${database}`;
  const admin = new Client({ connectionString: `${serverUrls.pg}/postgres` });
  let t: TestApp;
  let db: DataSource;
  let queue: Queue;
  let owner: TestUser;
  let other: TestUser;

  const sleep = (extra: Record<string, unknown> = {}) => ({
    type: 'sleep',
    payload: { delayMs: 10 },
    ...extra,
  });
  const submit = async (extra: Record<string, unknown> = {}) =>
    (await submitJob(t, owner.apiKey, sleep(extra))).id;
  const get = (id: string, apiKey = owner.apiKey) => t.http().get(`/api/jobs/${id}`).set('X-API-Key', apiKey);
  const position = (id: string, apiKey = owner.apiKey) =>
    t.http().get(`/api/jobs/${id}/position`).set('X-API-Key', apiKey);
  const queueOf = async (id: string) => {
    const res = await get(id).expect(200);
    return res.body.data.queue as QueueBody | null;
  };
  /** Both routes agree (nothing moves between the two reads here); the GET's `queue` is returned. */
  const queueAndPosition = async (id: string) => {
    const fromGet = await queueOf(id);
    const res = await position(id).expect(200);
    expect(res.body.data).toEqual(fromGet);
    return fromGet;
  };
  const waiting = (ahead: number) => ({
    state: 'waiting',
    ahead,
    position: ahead + 1,
    reason:
      ahead === 0
        ? 'Waiting: it is next in line.'
        : `Waiting: ${ahead} ${ahead === 1 ? 'job is' : 'jobs are'} ahead of it.`,
    estimatedStartAt: null,
  });
  /** No PENDING rows and no queue entries left from a previous test. */
  const clear = async () => {
    await queue.drain(true);
    await db.query(`DELETE FROM jobs`);
  };

  /** A worker process on this file's database, with `concurrency` slots. */
  const startWorker = async (concurrency: number) => {
    const worker = spawnApp({
      PROCESS_ROLE: 'worker',
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl,
      QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
      WORKER_CONCURRENCY: String(concurrency),
      RECONCILE_INTERVAL_MS: '3600000',
    });
    await worker.waitForOutput(/Running jobs with concurrency/);
    return worker;
  };

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
    const migrator = new DataSource(dataSourceOptions({ DATABASE_URL: databaseUrl }));
    await migrator.initialize();
    await migrator.runMigrations({ transaction: 'all' });
    await migrator.destroy();

    t = await createTestApp({ PROCESS_ROLE: 'api', DATABASE_URL: databaseUrl });
    db = t.app.get(DataSource);
    queue = t.app.get<Queue>(getQueueToken('jobs'));
    owner = await makeUser(t);
    other = await makeUser(t);
  });
  afterAll(async () => {
    await t?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  describe('with no worker', () => {
    beforeEach(clear);

    it('counts in fair order (classes first within a tenant, turns between tenants), with no estimate before any start', async () => {
      const normal = [await submit(), await submit(), await submit(), await submit()];
      const high = [await submit({ priority: 'high' }), await submit({ priority: 'high' })];
      const low = await submit({ priority: 'low' });
      // Another tenant's jobs are in the same line.
      const othersHigh = (await submitJob(t, other.apiKey, sleep({ priority: 'high' }))).id;

      // Tenants take turns: the other tenant's high job goes after the owner's first (same virtual time, queued
      // later) and before its second.
      expect(await queueAndPosition(high[0])).toEqual(waiting(0));
      expect(await queueAndPosition(high[1])).toEqual(waiting(2));
      expect((await position(othersHigh, other.apiKey).expect(200)).body.data).toEqual(waiting(1));
      for (const [i, id] of normal.entries()) expect(await queueAndPosition(id)).toEqual(waiting(3 + i));
      expect(await queueAndPosition(low)).toEqual(waiting(7));
    });

    it("answers 404 for another user's job, an unknown id and a malformed one, as GET /api/jobs/:id does", async () => {
      const id = await submit();
      for (const path of [`/api/jobs/${id}`, `/api/jobs/${id}/position`]) {
        const res = await t.http().get(path).set('X-API-Key', other.apiKey).expect(404);
        expect(res.body).toMatchObject({ success: false, code: 'JOB_NOT_FOUND' });
      }
      await position('00000000-0000-4000-8000-000000000000').expect(404);
      await position('not-a-uuid').expect(404);
      await t.http().get(`/api/jobs/${id}/position`).expect(401);
    });

    it('shows a delayed job with its exact time; due jobs of its class that came later are ahead of it', async () => {
      const runAt = new Date(Date.now() + 3_600_000).toISOString();
      const delayed = await submit({ runAt });
      const later = await submit();
      const high = await submit({ priority: 'high' });

      expect(await queueAndPosition(delayed)).toEqual({
        state: 'delayed',
        ahead: 2,
        position: 3,
        reason: `Scheduled for ${runAt}.`,
        estimatedStartAt: runAt,
      });
      // The delayed job is not in line before its time.
      expect(await queueAndPosition(later)).toEqual(waiting(1));
      expect(await queueAndPosition(high)).toEqual(waiting(0));
    });

    it('says the queue is paused while it is, and waiting again once resumed', async () => {
      const first = await submit();
      const second = await submit();
      await queue.pause();
      try {
        expect(await queueAndPosition(second)).toEqual({
          state: 'paused',
          ahead: 1,
          position: 2,
          reason: 'Paused: an admin paused the queue.',
          estimatedStartAt: null,
        });
      } finally {
        await queue.resume();
      }
      expect(await queueAndPosition(second)).toEqual(waiting(1));
      expect(await queueAndPosition(first)).toEqual(waiting(0));
    });

    it('has queue null once the job is no longer PENDING, and leaves it out of lists', async () => {
      const id = await submit();
      const ahead = await submit({ priority: 'high' });
      expect((await queueAndPosition(id))?.ahead).toBe(1);
      await t.http().delete(`/api/jobs/${ahead}`).set('X-API-Key', owner.apiKey).expect(200);
      expect((await queueAndPosition(id))?.ahead).toBe(0);
      await t.http().delete(`/api/jobs/${id}`).set('X-API-Key', owner.apiKey).expect(200);

      expect((await get(id).expect(200)).body.data).toMatchObject({ status: 'CANCELLED', queue: null });
      expect((await position(id).expect(200)).body).toMatchObject({ success: true, data: null });
      const list = await t.http().get('/api/jobs').set('X-API-Key', owner.apiKey).expect(200);
      expect(list.body.data.length).toBeGreaterThan(0);
      for (const job of list.body.data as object[]) expect(job).not.toHaveProperty('queue');
    });
    it('matches the OpenAPI document the SDK is generated from, for every shape of the answer', async () => {
      const sdk = sdkHarness(t.url);
      const client = sdk.client({ apiKey: owner.apiKey });
      const waitingJob = await submit();
      const delayed = await submit({ delayMs: 3_600_000 });
      const cancelled = await submit();
      await t.http().delete(`/api/jobs/${cancelled}`).set('X-API-Key', owner.apiKey).expect(200);

      for (const id of [waitingJob, delayed, cancelled]) {
        const { data: job } = await jobsGet({ client, path: { id }, throwOnError: true });
        const { data: alone } = await jobsPosition({ client, path: { id }, throwOnError: true });
        expect(alone.data).toEqual(job.data.queue);
      }
      await queue.pause();
      try {
        const { data } = await jobsPosition({ client, path: { id: waitingJob }, throwOnError: true });
        expect(data.data?.state).toBe('paused');
      } finally {
        await queue.resume();
      }
      const { response } = await jobsPosition({
        client: sdk.client({ apiKey: other.apiKey }),
        path: { id: delayed },
      });
      expect(response?.status).toBe(404);
      expect(sdk.checked).toBe(8);
      expect(sdk.violations).toEqual([]);
    });
  });

  describe('with a worker', () => {
    let worker: SpawnedApp;

    beforeAll(async () => {
      await clear();
      worker = await startWorker(1);
    });
    afterAll(async () => {
      await worker?.stop('SIGKILL');
    });

    it('has queue null for a DONE job', async () => {
      const id = await submit();
      expect((await waitForJob(t, owner.apiKey, id)).status).toBe('DONE');
      expect((await get(id).expect(200)).body.data.queue).toBeNull();
      expect((await position(id).expect(200)).body.data).toBeNull();
    });

    it('names the retry, its exact time and the error of a job waiting to be retried', async () => {
      const closed = await freePort();
      const { id } = await submitJob(t, owner.apiKey, {
        type: 'http-request',
        payload: { url: `http://127.0.0.1:${closed}/` },
        maxRetries: 1,
      });
      const { body } = await pollUntil(
        () => get(id).expect(200),
        (res) => res.body.data.queue?.state === 'retry-scheduled',
      );
      const job = body.data as { nextRetryAt: string; error: string; attempts: number; queue: QueueBody };
      expect(job.attempts).toBe(1);
      expect(job.error).toMatch(/ECONNREFUSED/);
      expect(job.queue.reason).toBe(
        `Retry 1 of 1 at ${job.nextRetryAt} after: ${job.error.replace(/\.$/, '')}.`,
      );
      expect(job.queue.ahead).toBe(0);
      // Recent starts exist now, but one job ahead cannot move its start before its retry time.
      expect(Date.parse(job.queue.estimatedStartAt!)).toBeGreaterThanOrEqual(Date.parse(job.nextRetryAt));
      expect((await waitForJob(t, owner.apiKey, id)).status).toBe('FAILED');
    });

    it('estimates the start from the recent start rate and the position', async () => {
      // Holds the only slot, so the next two wait.
      const blocker = await submit({ payload: { delayMs: 60_000 }, maxRetries: 0, timeoutMs: 120_000 });
      await waitForJob(t, owner.apiKey, blocker, (job) => job.status === 'PROCESSING');
      const first = await submit();
      const second = await submit();
      try {
        const [{ starts }] = await db.query<{ starts: number }[]>(
          `SELECT count(*)::int AS starts FROM jobs WHERE started_at > now() - interval '60 seconds'`,
        );
        expect(starts).toBeGreaterThanOrEqual(3); // the DONE job, the retried one, the blocker
        const msPerStart = 60_000 / starts;
        for (const [id, place] of [
          [first, 1],
          [second, 2],
        ] as const) {
          for (const read of [
            async () => queueOf(id),
            async () => (await position(id).expect(200)).body.data as QueueBody,
          ]) {
            const before = Date.now();
            const state = await read();
            const after = Date.now();
            expect(state).toMatchObject({ state: 'waiting', ahead: place - 1, position: place });
            const estimate = Date.parse(state!.estimatedStartAt!);
            expect(estimate).toBeGreaterThanOrEqual(before + Math.floor(place * msPerStart) - 1);
            expect(estimate).toBeLessThanOrEqual(after + Math.ceil(place * msPerStart) + 1);
          }
        }
      } finally {
        await t.http().delete(`/api/jobs/${blocker}`).set('X-API-Key', owner.apiKey);
      }
    });
  });
  describe('with a worker and a user at their cap', () => {
    let worker: SpawnedApp;

    beforeAll(async () => {
      await clear();
      // Two slots in the worker, so the second job waits for the cap, not for the worker.
      worker = await startWorker(2);
    });
    afterAll(async () => {
      await worker?.stop('SIGKILL');
    });

    it("shows a job held by its user's cap as held, with the running count and the limit, then runs it", async () => {
      const login = await t.http().post('/api/auth/login').send(TEST_ADMIN).expect(200);
      const capped = await makeUser(t);
      await t
        .http()
        .patch(`/api/admin/users/${capped.id}`)
        .set('Authorization', `Bearer ${login.body.data.accessToken}`)
        .send({ maxConcurrency: 1 })
        .expect(200);
      const blocker = (
        await submitJob(
          t,
          capped.apiKey,
          sleep({ payload: { delayMs: 60_000 }, maxRetries: 0, timeoutMs: 120_000 }),
        )
      ).id;
      await waitForJob(t, capped.apiKey, blocker, (job) => job.status === 'PROCESSING');
      const held = (await submitJob(t, capped.apiKey, sleep())).id;
      const { body } = await pollUntil(
        () => t.http().get(`/api/jobs/${held}`).set('X-API-Key', capped.apiKey).expect(200),
        (res) => res.body.data.queue?.state === 'held',
      );
      expect(body.data).toMatchObject({ status: 'PENDING', attempts: 0 });
      expect(body.data.queue).toEqual({
        state: 'held',
        ahead: 0,
        position: 1,
        reason: 'Held: 1 of your jobs is running (your limit is 1).',
        estimatedStartAt: null,
      });
      const fromPosition = await t.http().get(`/api/jobs/${held}/position`).set('X-API-Key', capped.apiKey);
      expect(fromPosition.body.data).toEqual(body.data.queue);
      // Another user's job runs beside it, in the worker's second slot.
      const free = await submit();
      expect((await waitForJob(t, owner.apiKey, free)).status).toBe('DONE');

      await t.http().delete(`/api/jobs/${blocker}`).set('X-API-Key', capped.apiKey).expect(200);
      expect(await waitForJob(t, capped.apiKey, held)).toMatchObject({ status: 'DONE', attempts: 1 });
    });
  });
});
