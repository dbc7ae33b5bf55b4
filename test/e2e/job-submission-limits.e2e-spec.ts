import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser } from '@app/testing/factories';

/** A small per-user submission limit and private webhook targets refused, as in production. */
describe('Job submission limits (e2e)', () => {
  let t: TestApp;
  const job = { type: 'sleep', payload: { delayMs: 1 } };

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_JOBS_PER_MINUTE: '5', ALLOW_PRIVATE_NETWORK_TARGETS: 'false' });
  });
  afterAll(() => t.close());

  it('counts every answer in the headers and answers 429 past the limit, per user', async () => {
    const user = await makeUser(t);
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.http().post('/api/jobs').set('X-API-Key', user.apiKey).send(job).expect(201);
      expect(res.headers['x-ratelimit-limit']).toBe('5');
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
      remaining.push(res.headers['x-ratelimit-remaining']);
    }
    expect(remaining).toEqual(['4', '3', '2']);
    // A rejected submission carries the headers too, and gives its count back.
    const bad = await t
      .http()
      .post('/api/jobs')
      .set('X-API-Key', user.apiKey)
      .send({ type: 'sleep' })
      .expect(400);
    expect(bad.headers['x-ratelimit-remaining']).toBe('2');
    // Two left: a batch of two jobs fits (a batch counts one per job), then nothing does.
    const batch = await t
      .http()
      .post('/api/jobs/batch')
      .set('X-API-Key', user.apiKey)
      .send({ jobs: [job, job] })
      .expect(201);
    expect(batch.headers['x-ratelimit-remaining']).toBe('0');
    const limited = await t.http().post('/api/jobs').set('X-API-Key', user.apiKey).send(job).expect(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(limited.body).toEqual({
      success: false,
      code: 'RATE_LIMITED',
      requestId: expect.any(String),
      retryAfter,
      message: `Too many requests. You can submit a maximum of 5 jobs per minute. Try again in ${retryAfter} seconds.`,
    });

    const other = await makeUser(t);
    await t.http().post('/api/jobs').set('X-API-Key', other.apiKey).send(job).expect(201);
  });

  it('counts a retry as a submission: past the limit it answers 429 and the job does not run again', async () => {
    const user = await makeUser(t);
    const created = await t
      .http()
      .post('/api/jobs')
      .set('X-API-Key', user.apiKey)
      .send({ ...job, delayMs: 60000 })
      .expect(201);
    const id = created.body.data.id as string;
    await t.http().delete(`/api/jobs/${id}`).set('X-API-Key', user.apiKey).expect(200);
    const retried = await t.http().post(`/api/jobs/${id}/retry`).set('X-API-Key', user.apiKey);
    expect(retried.headers['x-ratelimit-remaining']).toBe('3');
    for (let i = 0; i < 3; i++)
      await t.http().post('/api/jobs').set('X-API-Key', user.apiKey).send(job).expect(201);
    await t.http().delete(`/api/jobs/${id}`).set('X-API-Key', user.apiKey);
    const limited = await t.http().post(`/api/jobs/${id}/retry`).set('X-API-Key', user.apiKey).expect(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const after = await t.http().get(`/api/jobs/${id}`).set('X-API-Key', user.apiKey).expect(200);
    expect(after.body.data.status).toBe('CANCELLED');
  });

  it('refuses a batch that would pass the limit, whole', async () => {
    const user = await makeUser(t);
    const res = await t
      .http()
      .post('/api/jobs/batch')
      .set('X-API-Key', user.apiKey)
      .send({ jobs: Array.from({ length: 6 }, () => job) })
      .expect(429);
    expect(res.body.code).toBe('RATE_LIMITED');
    const list = await t.http().get('/api/jobs').set('X-API-Key', user.apiKey).expect(200);
    expect(list.body.meta.total).toBe(0);
  });

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'http://10.1.2.3/hook',
    'http://[::1]/hook',
    'http://[::127.0.0.1]/hook',
    'http://[::ffff:0:127.0.0.1]/hook',
    'http://169.254.169.254/latest',
  ])('refuses the private webhook target %s', async (webhookUrl) => {
    const user = await makeUser(t);
    const res = await t
      .http()
      .post('/api/jobs')
      .set('X-API-Key', user.apiKey)
      .send({ ...job, webhookUrl })
      .expect(400);
    expect(Object.keys(res.body.errors)).toEqual(['webhookUrl']);
  });
});
