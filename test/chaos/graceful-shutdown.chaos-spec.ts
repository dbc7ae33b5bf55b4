import type { Client } from 'pg';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { eventually } from '@app/testing/eventually';
import {
  jobRows,
  logLineCounts,
  observer,
  startWorker,
  submitBatches,
  waitForStatuses,
  within,
  Worker,
} from './chaos-kit';

const LINES = { started: 'started (status PROCESSING)', done: 'succeeded (status DONE)' };

/**
 * Graceful shutdown: a worker process gets SIGTERM while jobs run. Within SHUTDOWN_GRACE_MS it stops taking
 * jobs and lets the running ones finish, their side effects (log lines) included; past it, it leaves them
 * (their lock lapses and another worker's stalled check puts them back in the queue). Either way no row is
 * left PROCESSING and every job ends DONE.
 */
describe('Chaos: SIGTERM a worker with jobs in flight', () => {
  let t: TestApp;
  let db: Client;
  let user: TestUser;
  const workers: Worker[] = [];
  const worker = async (graceMs: number) => {
    const started = await startWorker({ WORKER_CONCURRENCY: '4', SHUTDOWN_GRACE_MS: String(graceMs) });
    workers.push(started);
    return started;
  };

  beforeAll(async () => {
    t = await createTestApp({ PROCESS_ROLE: 'api' });
    db = await observer();
    user = await makeUser(t);
  });
  // Every worker consumes the same queues: none may outlive its test.
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop('SIGKILL')));
  });
  afterAll(async () => {
    await t?.close();
    await db?.end();
  });

  /** Waits until `count` of `ids` are PROCESSING and returns those ids. */
  const processing = (ids: string[], count: number) =>
    eventually(async () => {
      const running = (await jobRows(db, { ids })).filter((row) => row.status === 'PROCESSING');
      if (running.length < count) throw new Error(`${running.length} of ${count} PROCESSING`);
      return running.map((row) => row.id);
    }, 30_000);

  /** SIGTERM, then the exit (all output read); resolves with how long it took. */
  const terminate = async (victim: Worker) => {
    const signalled = Date.now();
    victim.child.kill('SIGTERM');
    const exit = await within(victim.exited, 30_000, 'worker exit after SIGTERM');
    await within(victim.closed, 5_000, 'worker output closed');
    return { exit, tookMs: Date.now() - signalled };
  };

  it('lets running jobs finish within the grace period, side effects included, and takes no new ones', async () => {
    const first = await worker(15_000);
    // Four run at once (1-3 s); two more wait behind them.
    const ids = await submitBatches(
      t,
      user.apiKey,
      [1000, 1500, 2000, 3000, 1000, 1000].map((delayMs) => ({ type: 'sleep', payload: { delayMs } })),
    );
    const inFlight = await processing(ids.slice(0, 4), 4);
    const waiting = ids.filter((id) => !inFlight.includes(id));

    const { exit, tookMs } = await terminate(first);
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    expect(first.stdout()).not.toMatch(/Jobs still running/);
    expect(tookMs).toBeGreaterThanOrEqual(1500); // the 3 s job had about 2 s left: it was waited for

    // The process is gone, so whatever it wrote is all it will ever write: every job that was running is
    // DONE in its first attempt with its log lines, and the ones that had not started are still queued.
    const atExit = await jobRows(db, { ids });
    expect(atExit.filter((row) => row.status === 'PROCESSING')).toEqual([]);
    for (const row of atExit) {
      if (inFlight.includes(row.id)) expect(row).toMatchObject({ status: 'DONE', attempts: 1 });
      else expect(row).toMatchObject({ status: 'PENDING', attempts: 0 });
    }
    const logs = await logLineCounts(db, inFlight, LINES);
    for (const id of inFlight) expect({ id, ...logs.get(id) }).toEqual({ id, started: 1, done: 1 });

    // A new worker runs the two that waited; nothing ran twice.
    await worker(15_000);
    const rows = await waitForStatuses(db, ids, ['DONE'], 30_000);
    expect(rows.filter((row) => row.attempts !== 1)).toEqual([]);
    await eventually(async () => {
      const after = await logLineCounts(db, waiting, LINES);
      for (const id of waiting) expect({ id, ...after.get(id) }).toEqual({ id, started: 1, done: 1 });
    });
  }, 90_000);

  it('past the grace period leaves unfinished jobs to another worker, which finishes them', async () => {
    const first = await worker(500);
    const ids = await submitBatches(
      t,
      user.apiKey,
      [4000, 4000, 4000, 4000].map((delayMs) => ({ type: 'sleep', payload: { delayMs } })),
    );
    await processing(ids, 4);

    const { tookMs } = await terminate(first);
    expect(first.stdout()).toMatch(/Jobs still running after 500 ms/);
    // It did not wait for the 4 s jobs: they are unfinished, in their first attempt.
    expect(tookMs).toBeLessThan(3000);
    const atExit = await jobRows(db, { ids });
    expect(atExit.filter((row) => row.status !== 'PROCESSING' || row.attempts !== 1)).toEqual([]);

    // A new worker notices the lapsed locks (stalled check), runs them again, and they end DONE once.
    await worker(15_000);
    const rows = await waitForStatuses(db, ids, ['DONE'], 45_000);
    expect(rows.filter((row) => row.attempts !== 2)).toEqual([]);
    await eventually(async () => {
      const logs = await logLineCounts(db, ids, LINES);
      for (const id of ids) expect({ id, ...logs.get(id) }).toEqual({ id, started: 2, done: 1 });
    });
  }, 90_000);
});
