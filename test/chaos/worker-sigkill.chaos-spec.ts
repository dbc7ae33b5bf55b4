import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Client } from 'pg';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { eventually } from '@app/testing/eventually';
import { JOBS_QUEUE } from '../../src/modules/jobs/jobs.queue';
import {
  countStatuses,
  jobRows,
  logLineCounts,
  observer,
  startWorker,
  submitBatches,
  waitForStatuses,
  Worker,
} from './chaos-kit';

const JOBS = 1000;
const CONCURRENCY = 16;

/**
 * At-least-once under SIGKILL: 1,000 jobs (10 batches of 100) run on a worker process with concurrency 16,
 * which is SIGKILLed once a quarter of them are DONE. A new worker process picks up the stalled ones. Every
 * job ends DONE exactly once, none is lost, and only the jobs that were in flight at the kill ran twice.
 * Side effects are counted from what the workers wrote: the `attempts` column (one per attempt started) and
 * each job's log (exactly one "started" per attempt, "succeeded (status DONE)" once).
 */
describe('Chaos: SIGKILL a worker in the middle of a 1,000-job batch', () => {
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

  it('finishes every job exactly once after the worker is killed and replaced', async () => {
    // Submitted before any worker runs, so the kill lands mid-batch however fast the worker is.
    const ids = await submitBatches(
      t,
      user.apiKey,
      Array.from({ length: JOBS }, () => ({ type: 'sleep', payload: { delayMs: 5 } })),
    );
    expect(new Set(ids).size).toBe(JOBS);

    const first = await startWorker({ WORKER_CONCURRENCY: String(CONCURRENCY) });
    workers.push(first);
    await eventually(async () => {
      const done = countStatuses(await jobRows(db, { ids })).DONE ?? 0;
      if (done < JOBS / 4) throw new Error(`${done} DONE`);
    }, 60_000);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    // Nothing writes now: this is what the killed worker left. It was mid-batch, with jobs in flight.
    const atKill = await jobRows(db, { ids });
    const inFlight = atKill.filter((row) => row.status === 'PROCESSING').map((row) => row.id);
    const doneAtKill = atKill.filter((row) => row.status === 'DONE').length;
    expect(doneAtKill).toBeLessThan(JOBS);
    expect(inFlight.length).toBeGreaterThan(0);
    expect(inFlight.length).toBeLessThanOrEqual(CONCURRENCY);

    const second = await startWorker({ WORKER_CONCURRENCY: String(CONCURRENCY) });
    workers.push(second);
    const rows = await waitForStatuses(db, ids, ['DONE'], 90_000);

    // None lost, none duplicated: exactly these 1,000 rows for the user, all DONE.
    expect(countStatuses(await jobRows(db, { userId: user.id }))).toEqual({ DONE: JOBS });
    // Only jobs in flight at the kill ran a second time (at most one per concurrency slot), none a third.
    const ranTwice = rows.filter((row) => row.attempts > 1);
    expect(rows.filter((row) => row.attempts < 1 || row.attempts > 2)).toEqual([]);
    expect(ranTwice.length).toBeLessThanOrEqual(CONCURRENCY);
    for (const id of inFlight) expect(ranTwice.map((row) => row.id)).toContain(id);

    // The logs agree, exactly: a status change and its log line are one statement, so a kill can never leave
    // one without the other. Every job has one "succeeded" line, and one "started" line per attempt counted.
    const attempts = new Map(rows.map((row) => [row.id, row.attempts]));
    const logs = await logLineCounts(db, ids, {
      started: 'started (status PROCESSING)',
      done: 'succeeded (status DONE)',
    });
    expect(logs.size).toBe(JOBS);
    for (const [id, { started, done }] of logs) {
      expect({ id, started, done }).toEqual({ id, started: attempts.get(id), done: 1 });
    }

    // And the queue is empty: nothing waiting, running, delayed or failed.
    const queue = t.app.get<Queue>(getQueueToken(JOBS_QUEUE));
    await eventually(async () => {
      expect(await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed')).toEqual({
        wait: 0,
        active: 0,
        delayed: 0,
        prioritized: 0,
        failed: 0,
      });
    });
  }, 180_000);
});
