import type { Client } from 'pg';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { eventually } from '@app/testing/eventually';
import { makeUser, TestUser } from '@app/testing/factories';
import { jobRows, observer, startWorker, submitBatches, waitForStatuses, Worker } from './chaos-kit';

/** More than this many stalls quarantine a job (JOB_MAX_STALLS, given explicitly to the workers). */
const MAX_STALLS = 3;

/**
 * A poison job: one whose worker process dies every time it runs it. Simulated by SIGKILLing the worker whenever
 * PostgreSQL shows that job PROCESSING in a new attempt, and starting a new worker each time, while other jobs
 * keep being submitted and run. After JOB_MAX_STALLS + 1 deaths BullMQ gives its queue entry up: the job ends
 * FAILED, quarantined, with a log line, and a further worker restart (with its reconciler running) does not
 * pick it up again.
 */
describe('Chaos: a job that kills its worker every time it runs', () => {
  let t: TestApp;
  let db: Client;
  let user: TestUser;
  const workers: Worker[] = [];

  const worker = async (extra: Record<string, string> = {}) => {
    const started = await startWorker({
      WORKER_CONCURRENCY: '4',
      JOB_MAX_STALLS: String(MAX_STALLS),
      ...extra,
    });
    workers.push(started);
    return started;
  };
  const others = (count: number) =>
    submitBatches(
      t,
      user.apiKey,
      Array.from({ length: count }, () => ({ type: 'sleep', payload: { delayMs: 300 } })),
    );
  const poisonRow = async (id: string) =>
    (
      await db.query<{ status: string; attempts: number; error: string | null }>(
        'SELECT status, attempts, error FROM jobs WHERE id = $1',
        [id],
      )
    ).rows[0];

  beforeAll(async () => {
    t = await createTestApp({ PROCESS_ROLE: 'api', RATE_LIMIT_JOBS_PER_MINUTE: '1000' });
    db = await observer();
    user = await makeUser(t);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await t?.close();
    await db?.end();
  });

  it('quarantines it after its worker died JOB_MAX_STALLS + 1 times, while the other jobs all finish', async () => {
    // A long sleep: it is still running whenever the test kills its worker.
    const [poison] = await submitBatches(t, user.apiKey, [
      { type: 'sleep', payload: { delayMs: 60_000 }, maxRetries: 3, timeoutMs: 120_000 },
    ]);
    const otherIds = await others(10);

    let current = await worker();
    let killed = 0;
    let seenAttempt = 0;
    // Each round: wait for a new attempt of the poison job (or its end), kill its worker, start another.
    while (killed <= MAX_STALLS + 1) {
      const row = await eventually(async () => {
        const found = await poisonRow(poison);
        if (found.status === 'FAILED') return found;
        if (found.status !== 'PROCESSING' || found.attempts <= seenAttempt)
          throw new Error(`poison job ${found.status} at attempt ${found.attempts}`);
        return found;
      }, 30_000);
      if (row.status === 'FAILED') break;
      seenAttempt = row.attempts;
      // The crash comes a second into the poison job's run: jobs that came back with it from the last crash
      // (300 ms each) finish first, as they would in a real crash, and are not killed along every time.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      current.child.kill('SIGKILL');
      await current.exited;
      killed++;
      otherIds.push(...(await others(5)));
      current = await worker();
    }

    expect(killed).toBe(MAX_STALLS + 1);
    await eventually(async () => {
      const row = await poisonRow(poison);
      if (row.status !== 'FAILED') throw new Error(row.status);
    }, 30_000);
    const quarantined = await poisonRow(poison);
    expect(quarantined).toEqual({
      status: 'FAILED',
      attempts: MAX_STALLS + 1, // each death was an attempt; the entry given up is failed without running
      error: `Quarantined: its worker stopped ${MAX_STALLS + 1} times while running it`,
    });
    await current.waitForOutput(/Job quarantined: its worker stopped 4 times while running it/, 10_000);
    const { rows: logLines } = await db.query<{ message: string }>(
      `SELECT message FROM job_logs WHERE job_id = $1 AND message LIKE '%Quarantined%'`,
      [poison],
    );
    expect(logLines.length).toBeGreaterThan(0);

    // The other jobs, some of them killed along once or twice, all ran to the end.
    const rows = await waitForStatuses(db, otherIds, ['DONE'], 60_000);
    expect(rows).toHaveLength(otherIds.length);

    // One more restart, with the reconciler running every second: the quarantined job is not picked up again.
    await current.stop('SIGTERM');
    await worker({ RECONCILE_INTERVAL_MS: '1000' });
    const after = await others(3);
    await waitForStatuses(db, after, ['DONE'], 30_000);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // three reconciler runs
    expect(await poisonRow(poison)).toEqual(quarantined);
    expect((await jobRows(db, { ids: [poison] }))[0].status).toBe('FAILED');
  }, 240_000);
});
