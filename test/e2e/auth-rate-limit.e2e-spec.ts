import Redis from 'ioredis';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { serverUrls } from '../test-env';

/** Its own Redis DB, so the low limit here and the counts of other suites never meet. */
const REDIS_URL = `${serverUrls.redis}/14`;

describe('Auth per-IP rate limit (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    await redis.quit();
    t = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3', REDIS_URL });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After once an IP exceeds the login limit', async () => {
    const body = { email: 'nobody@example.com', password: 'wrong-password' };
    for (let i = 0; i < 3; i++) await t.http().post('/api/auth/login').send(body).expect(401);
    const limited = await t.http().post('/api/auth/login').send(body).expect(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body).toMatchObject({
      success: false,
      code: 'RATE_LIMITED',
      retryAfter,
      message: expect.any(String),
    });
  });

  it('limits register as well, and leaves other routes alone', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await t.http().post('/api/auth/register').send({ email: 'x', password: 'short' })).status,
      );
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
    await t.http().get('/health').expect(200);
    await t.http().post('/api/auth/refresh').send({ refreshToken: 'nope' }).expect(401);
  });

  it('counts in Redis, so a second instance sharing it sees the same limit', async () => {
    const second = await createTestApp();
    try {
      await second
        .http()
        .post('/api/auth/login')
        .send({ email: 'nobody@example.com', password: 'x' })
        .expect(429);
    } finally {
      await second.close();
    }
  });

  it('counts password guesses at login and at the queue board against one per-IP limit', async () => {
    // The earlier tests spent this IP's guesses; this file's own Redis DB starts over.
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    await redis.quit();
    const wrong = { email: 'nobody@example.com', password: 'wrong-password' };
    await t.http().post('/api/auth/login').send(wrong).expect(401);
    await t.http().get('/admin/queues/api/queues').auth(wrong.email, wrong.password).expect(401);
    await t.http().post('/api/auth/login').send(wrong).expect(401);
    // Three guesses in all (AUTH_RATE_LIMIT_PER_MINUTE): the fourth is refused on either route.
    await t.http().get('/admin/queues/api/queues').auth(wrong.email, wrong.password).expect(429);
    await t.http().post('/api/auth/login').send(wrong).expect(429);
  });
});
