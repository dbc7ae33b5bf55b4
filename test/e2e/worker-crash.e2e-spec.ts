import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { jobLogs, submitJob, waitForJob } from '@app/testing/jobs';
import { spawnApp, SpawnedApp } from '@app/testing/spawn-app';

/**
 * At-least-once across a crash: the job runs in a separate worker process that is SIGKILLed mid-job; a new
 * worker process picks the stalled job up and it ends DONE once. Lock and stalled interval are short here
 * (through configuration) so the stall is noticed in seconds.
 */
describe('Worker crash (e2e)', () => {
  let t: TestApp;
  let user: TestUser;
  const workers: SpawnedApp[] = [];
  const workerEnv = () => ({
    PROCESS_ROLE: 'worker',
    LOG_LEVEL: 'info',
    QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    RECONCILE_INTERVAL_MS: '600000',
  });
  const startWorker = async () => {
    const worker = spawnApp(workerEnv());
    workers.push(worker);
    await worker.waitForOutput(/Running jobs with concurrency/);
    return worker;
  };

  beforeAll(async () => {
    t = await createTestApp({ PROCESS_ROLE: 'api' });
    user = await makeUser(t);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await t.close();
  });

  it('runs a job again after its worker is SIGKILLed, and it ends DONE exactly once', async () => {
    const first = await startWorker();
    const job = await submitJob(t, user.apiKey, { type: 'sleep', payload: { delayMs: 3000 }, maxRetries: 0 });
    await waitForJob(t, user.apiKey, job.id, (j) => j.status === 'PROCESSING');

    const killed = await first.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const stuck = await waitForJob(t, user.apiKey, job.id, (j) => j.status === 'PROCESSING');
    expect(stuck.attempts).toBe(1);

    await startWorker();
    const done = await waitForJob(t, user.apiKey, job.id);
    expect(done).toMatchObject({ status: 'DONE', result: { sleptMs: 3000 }, attempts: 2 });

    const logs = await jobLogs(t, user.apiKey, job.id);
    expect(logs.filter((l) => l.message.includes('(status DONE)'))).toHaveLength(1);
    expect(logs.filter((l) => l.message.includes('started (status PROCESSING)'))).toHaveLength(2);
    const [{ count }] = await t.app.get(DataSource).query<
      {
        count: number;
      }[]
    >(`SELECT count(*)::int AS count FROM jobs WHERE id = $1 AND status = 'DONE'`, [job.id]);
    expect(count).toBe(1);
  });
});
