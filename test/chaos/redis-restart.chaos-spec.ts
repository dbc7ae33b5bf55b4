import type { ChildProcess } from 'node:child_process';
import type { Client } from 'pg';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { eventually } from '@app/testing/eventually';
import { freePort } from '@app/testing/spawn-app';
import {
  countStatuses,
  expectAlive,
  jobRows,
  observer,
  startRedis,
  startWorker,
  stopRedis,
  waitForStatuses,
  until,
  Worker,
} from './chaos-kit';

/** How long Redis stays down. */
const OUTAGE_MS = 3000;

interface Answer {
  status: number;
  code?: string;
  ids: string[];
  at: number;
}

/**
 * Redis restarts while clients submit and a worker runs jobs. The API and the worker use a throwaway
 * redis-server without persistence, so the restart also loses every queue entry: the reconciler (on a short
 * interval in this worker) puts PENDING rows back in the queue and repairs PROCESSING rows whose attempt was
 * lost. While Redis is down, submissions answer 503 (never 500), and a 503 leaves no row behind; after it
 * returns, every job that got a 201 ends DONE.
 */
describe('Chaos: Redis restarts during submission and processing', () => {
  let t: TestApp;
  let db: Client;
  let user: TestUser;
  let redis: ChildProcess;
  let redisUrl: string;
  let port: number;
  const workers: Worker[] = [];

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    redisUrl = `redis://127.0.0.1:${port}`;
    t = await createTestApp({ PROCESS_ROLE: 'api', REDIS_URL: redisUrl });
    db = await observer();
    user = await makeUser(t);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await t?.close();
    await db?.end();
    if (redis) await stopRedis(redis);
  });

  it('answers 503 while Redis is down and runs every accepted job after it returns', async () => {
    workers.push(
      await startWorker({ REDIS_URL: redisUrl, WORKER_CONCURRENCY: '4', RECONCILE_INTERVAL_MS: '2000' }),
    );

    // Four clients submit faster than the worker runs (a backlog builds up in the queue): three one job at a
    // time, one in batches of five.
    const answers: Answer[] = [];
    let running = true;
    const client = async (batch: boolean) => {
      const job = { type: 'sleep', payload: { delayMs: 250 } };
      while (running) {
        const res = await t
          .http()
          .post(batch ? '/api/jobs/batch' : '/api/jobs')
          .set('X-API-Key', user.apiKey)
          .timeout(30_000)
          .send(batch ? { jobs: Array.from({ length: 5 }, () => job) } : job)
          .catch((error: Error) => ({ status: 0, body: { code: error.message } }));
        const body = res.body as { code?: string; data?: { id: string; jobs?: { id: string }[] } };
        const ids = res.status !== 201 ? [] : batch ? body.data!.jobs!.map((j) => j.id) : [body.data!.id];
        answers.push({ status: res.status, code: body.code, ids, at: Date.now() });
        await new Promise((resolve) => setTimeout(resolve, 50)); // pacing, not waiting
      }
    };
    const clients = [client(false), client(false), client(false), client(true)];
    const accepted = () => answers.flatMap((a) => a.ids);

    try {
      // Up: submissions go through, jobs run, and a backlog waits in the queue (which the restart will lose).
      await eventually(async () => {
        const counts = countStatuses(await jobRows(db, { ids: accepted() }));
        if ((counts.DONE ?? 0) < 10 || (counts.PENDING ?? 0) < 30) throw new Error(JSON.stringify(counts));
      }, 30_000);

      // Down: the outage window (the one timed wait), with submissions answering 503 meanwhile.
      await stopRedis(redis);
      const downAt = Date.now();
      await until(() => {
        if (!answers.some((a) => a.at > downAt && a.status === 503)) throw new Error('no 503 yet');
      }, 15_000);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, downAt + OUTAGE_MS - Date.now())));

      // Back (empty): submissions recover.
      redis = await startRedis(port);
      const upAt = Date.now();
      await until(() => {
        const after = answers.filter((a) => a.at > upAt && a.status === 201).length;
        if (after < 20) throw new Error(`${after} accepted since Redis returned`);
      }, 30_000);
    } finally {
      running = false;
      await Promise.all(clients);
    }

    expectAlive(workers[0]);

    // Only 201 and 503, and the 503s say why.
    const unexpected = answers.filter((a) => a.status !== 201 && a.status !== 503);
    expect(unexpected).toEqual([]);
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map((a) => a.code))).toEqual(new Set(['SERVICE_UNAVAILABLE']));

    // Every accepted job ends DONE, and a 503 left nothing behind: the user's rows are exactly the accepted.
    const ids = accepted();
    expect(new Set(ids).size).toBe(ids.length);
    await waitForStatuses(db, ids, ['DONE'], 90_000);
    const rows = await jobRows(db, { userId: user.id });
    expect(rows.map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(countStatuses(rows)).toEqual({ DONE: ids.length });

    // The restart lost the queue's entries: the reconciler is what put the backlog back.
    const { rows: reconciled } = await db.query<{ count: number }>(
      `SELECT count(DISTINCT job_id)::int AS count FROM job_logs
       WHERE job_id = ANY($1::uuid[]) AND message LIKE '%by the reconciler%'`,
      [ids],
    );
    expect(reconciled[0].count).toBeGreaterThan(0);

    await eventually(async () => {
      await t.http().get('/health/ready').expect(200);
    });
  }, 180_000);
});
