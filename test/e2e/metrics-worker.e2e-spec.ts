import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { submitJob, waitForJob } from '@app/testing/jobs';
import { freePort, spawnApp, SpawnedApp } from '@app/testing/spawn-app';
import { pollUntil } from '@app/testing/eventually';

/**
 * A worker process has no HTTP API, so it serves its own metrics on METRICS_PORT. Here a real worker child
 * (the built dist) runs a job submitted through an in-process API (PROCESS_ROLE=api, same queue prefix);
 * both answer 401 without METRICS_TOKEN and their own counters with it.
 */
describe('Worker metrics (e2e)', () => {
  const token = 'metrics-token-for-tests';
  let t: TestApp;
  let user: TestUser;
  let worker: SpawnedApp;
  let workerUrl: string;
  const withToken = { Authorization: `Bearer ${token}` };
  const scrapeWorker = async () => {
    const res = await fetch(workerUrl, { headers: withToken });
    expect(res.status).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    t = await createTestApp({ PROCESS_ROLE: 'api', METRICS_TOKEN: token });
    user = await makeUser(t);
    const port = await freePort();
    workerUrl = `http://127.0.0.1:${port}/metrics`;
    worker = spawnApp({
      PROCESS_ROLE: 'worker',
      LOG_LEVEL: 'info',
      QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
      RECONCILE_INTERVAL_MS: '600000',
      METRICS_PORT: String(port),
      METRICS_TOKEN: token,
    });
    await worker.waitForOutput(/Running jobs with concurrency/);
    await worker.waitForOutput(new RegExp(`Serving metrics on port ${port}`));
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await t?.close();
  });

  it('refuses a scrape of the worker port without the token, with the error envelope', async () => {
    for (const headers of [{}, { Authorization: 'Bearer not-the-token' }] as Record<string, string>[]) {
      const res = await fetch(workerUrl, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    }
  });

  it("counts the job the worker ran on the worker's port, and its submission on the API's", async () => {
    const job = await submitJob(t, user.apiKey, { type: 'sleep', payload: { delayMs: 20 } });
    expect((await waitForJob(t, user.apiKey, job.id)).status).toBe('DONE');

    const text = await pollUntil(scrapeWorker, (body) =>
      body.includes('conveyor_jobs_finished_total{type="sleep",status="DONE"} 1'),
    );
    expect(text).toMatch(/^conveyor_job_duration_seconds_count\{type="sleep"\} 1$/m);
    expect(text).toMatch(/^conveyor_job_wait_seconds_count\{type="sleep"\} 1$/m);
    expect(text).toMatch(/^conveyor_queue_jobs\{queue="jobs",state="waiting"\} \d+$/m);
    expect(text).toMatch(/^conveyor_process_cpu_user_seconds_total \S+$/m);
    // Submissions happen in the API process: counted there, not here.
    expect(text).not.toMatch(/^conveyor_jobs_submitted_total\{/m);

    const refused = await t.http().get('/metrics').expect(401);
    expect(refused.body).toMatchObject({
      success: false,
      code: 'UNAUTHORIZED',
      requestId: expect.any(String),
    });
    await t.http().get('/metrics').set('Authorization', 'Bearer not-the-token').expect(401);
    const api = await t.http().get('/metrics').set(withToken).expect(200);
    expect(api.text).toMatch(/^conveyor_jobs_submitted_total\{type="sleep"\} 1$/m);
    expect(api.text).not.toMatch(/^conveyor_jobs_finished_total\{/m);
  });

  it('closes the metrics port when the worker shuts down', async () => {
    const stopped = await worker.stop('SIGTERM');
    expect(stopped.code === 0 || stopped.signal === 'SIGTERM').toBe(true);
    await expect(fetch(workerUrl)).rejects.toThrow();
  });
});
