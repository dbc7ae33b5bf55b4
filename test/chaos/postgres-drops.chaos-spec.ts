import type { Client } from 'pg';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { eventually } from '@app/testing/eventually';
import { TEST_DATABASE } from '../test-env';
import {
  countStatuses,
  expectAlive,
  jobRows,
  observer,
  startWorker,
  submitBatches,
  waitForStatuses,
  until,
  Worker,
} from './chaos-kit';

/** How long the connections keep being dropped, and how often. */
const DROPPING_MS = 4000;
const EVERY_MS = 250;

interface Answer {
  status: number;
  code?: string;
  id?: string;
}

/**
 * PostgreSQL connections are terminated (`pg_terminate_backend`, every session of the test database but the
 * observer's own) again and again while a worker runs jobs and clients submit. The API and the worker
 * reconnect; a request caught by a drop answers 503, never 500; afterwards every accepted job ends DONE and
 * none is left PENDING or PROCESSING (the worker's reconciler runs every 2 s to repair attempts whose
 * bookkeeping a drop interrupted).
 */
describe('Chaos: PostgreSQL connections dropped mid-run', () => {
  let t: TestApp;
  let db: Client;
  let user: TestUser;
  const workers: Worker[] = [];

  beforeAll(async () => {
    t = await createTestApp({ PROCESS_ROLE: 'api' });
    db = await observer();
    user = await makeUser(t);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await t?.close();
    await db?.end();
  });

  /** Terminates every client session of the test database except this observer's; returns how many. */
  const dropConnections = async () => {
    const { rows } = await db.query<{ dropped: number }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS dropped FROM pg_stat_activity
       WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      [TEST_DATABASE],
    );
    return rows[0].dropped;
  };

  it('reconnects, answers 503 rather than 500, and loses or strands no job', async () => {
    workers.push(await startWorker({ WORKER_CONCURRENCY: '8', RECONCILE_INTERVAL_MS: '2000' }));
    const job = { type: 'sleep', payload: { delayMs: 50 } };
    const batched = await submitBatches(
      t,
      user.apiKey,
      Array.from({ length: 200 }, () => job),
    );

    // Two clients keep submitting one job at a time while the connections drop.
    const answers: Answer[] = [];
    let running = true;
    const client = async () => {
      while (running) {
        const res = await t
          .http()
          .post('/api/jobs')
          .set('X-API-Key', user.apiKey)
          .timeout(30_000)
          .send(job)
          .catch((error: Error) => ({ status: 0, body: { code: error.message } }));
        const body = res.body as { code?: string; data?: { id: string } };
        answers.push({ status: res.status, code: body.code, id: body.data?.id });
        await new Promise((resolve) => setTimeout(resolve, 20)); // pacing, not waiting
      }
    };
    const clients = [client(), client()];

    let dropped = 0;
    try {
      await eventually(async () => {
        const done = countStatuses(await jobRows(db, { ids: batched })).DONE ?? 0;
        if (done < 20) throw new Error(`${done} DONE`);
      }, 30_000);
      // The outage: drops every EVERY_MS for DROPPING_MS (the only timed waits).
      const stopAt = Date.now() + DROPPING_MS;
      while (Date.now() < stopAt) {
        dropped += await dropConnections();
        await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
      }
      // Submissions work again.
      const before = answers.length;
      await until(() => {
        if (!answers.slice(before).some((a) => a.status === 201)) throw new Error('no 201 since the drops');
      }, 30_000);
    } finally {
      running = false;
      await Promise.all(clients);
    }
    expect(dropped).toBeGreaterThan(0);
    expectAlive(workers[0]);

    const unexpected = answers.filter((a) => a.status !== 201 && a.status !== 503);
    expect(unexpected).toEqual([]);
    const refusedCodes = new Set(answers.filter((a) => a.status === 503).map((a) => a.code));
    expect([...refusedCodes].filter((code) => code !== 'SERVICE_UNAVAILABLE')).toEqual([]);

    // Every accepted job ends DONE; none is stranded PENDING or PROCESSING; a 503 left no row behind.
    const ids = [...batched, ...answers.filter((a) => a.status === 201).map((a) => a.id!)];
    await waitForStatuses(db, ids, ['DONE'], 90_000);
    const rows = await jobRows(db, { userId: user.id });
    expect(rows.map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(countStatuses(rows)).toEqual({ DONE: ids.length });

    // The API serves reads from PostgreSQL again.
    await eventually(async () => {
      await t.http().get('/health/ready').expect(200);
      await t.http().get(`/api/jobs?limit=1`).set('X-API-Key', user.apiKey).expect(200);
    });
  }, 180_000);
});
