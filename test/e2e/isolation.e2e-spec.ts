import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { bearer, makeUser } from '@app/testing/factories';
import { submitJob } from '@app/testing/jobs';
import { TEST_ADMIN } from '../test-env';

/** What one tenant can learn of the others (issue 11): here, nothing of their queue. */
describe('Isolation between tenants (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it("shows a user their own jobs' queue state only, and an admin the shared queue", async () => {
    const busy = await makeUser(t);
    const idle = await makeUser(t);
    // No worker here (PROCESS_ROLE=api): these wait in the shared queue, three for their time.
    for (let i = 0; i < 3; i++) {
      await submitJob(t, busy.apiKey, { type: 'sleep', payload: { delayMs: 1 }, delayMs: 3_600_000 });
      await submitJob(t, busy.apiKey, { type: 'sleep', payload: { delayMs: 1 } });
    }
    const stats = async (headers: Record<string, string>) =>
      (await t.http().get('/api/jobs/stats').set(headers).expect(200)).body.data.queue as Record<
        string,
        number
      >;

    expect(await stats({ 'X-API-Key': idle.apiKey })).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      prioritized: 0,
    });
    expect(await stats({ 'X-API-Key': busy.apiKey })).toEqual({
      waiting: 0,
      active: 0,
      delayed: 3,
      prioritized: 3,
    });
    const login = await t.http().post('/api/auth/login').send(TEST_ADMIN).expect(200);
    const shared = await stats(bearer(login.body.data.accessToken as string));
    expect(shared.delayed).toBeGreaterThanOrEqual(3);
    expect(shared.prioritized).toBeGreaterThanOrEqual(3);
  });
});
