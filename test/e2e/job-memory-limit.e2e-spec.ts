import { createTestApp, type TestApp } from '@app/testing/create-test-app';
import { makeUser, type TestUser } from '@app/testing/factories';
import { submitJob, waitForJob } from '@app/testing/jobs';

/** A job thread's heap is capped at JOB_MEMORY_LIMIT_MB: an attempt over it fails for good, the app lives on. */
describe('Job memory limit (e2e)', () => {
  let t: TestApp;
  let owner: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ PROCESS_ROLE: 'all', JOB_MEMORY_LIMIT_MB: '16' });
    owner = await makeUser(t);
  });
  afterAll(() => t?.close());

  it('fails an attempt over the limit at once with a clear error, and keeps serving', async () => {
    // 1,000 rows × 1,000 columns: a million cells, well over 16 MB of heap while the CSV is built.
    const data = Array.from({ length: 1000 }, (_, i) => ({ [`k${i}`]: i }));
    const job = await submitJob(t, owner.apiKey, { type: 'csv-export', payload: { data }, maxRetries: 3 });
    const failed = await waitForJob(t, owner.apiKey, job.id);
    expect(failed).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      error: 'Job exceeded its memory limit of 16 MB',
    });

    await t.http().get('/health').expect(200);
    const small = await submitJob(t, owner.apiKey, {
      type: 'csv-export',
      payload: { data: [{ a: 1, b: 2 }] },
    });
    await expect(waitForJob(t, owner.apiKey, small.id)).resolves.toMatchObject({ status: 'DONE' });
  });
});
