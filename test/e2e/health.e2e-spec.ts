import type { ChildProcess } from 'node:child_process';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser } from '@app/testing/factories';
import { eventually } from '@app/testing/eventually';
import { freePort } from '@app/testing/spawn-app';
import { startRedis, stopRedis } from '@app/testing/throwaway-redis';
import { TcpProxy } from '@app/testing/tcp-proxy';
import { TEST_DATABASE } from '../test-env';

describe('Health and lost backing services (e2e)', () => {
  let t: TestApp;
  let redis: ChildProcess;
  let redisPort: number;
  const pg = new TcpProxy('127.0.0.1', 5432);

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    const pgPort = await pg.start();
    t = await createTestApp({
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/${TEST_DATABASE}`,
    });
  });
  afterAll(async () => {
    await pg.restore().catch(() => undefined);
    await t.close();
    await stopRedis(redis);
    await pg.cut();
  });

  it('is alive and ready with PostgreSQL and Redis up', async () => {
    await t.http().get('/health').expect(200);
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.data).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, redis: { status: 'up' } },
    });
  });

  it('answers 503, never 500, while Redis is down, and recovers when it returns', async () => {
    const user = await makeUser(t);
    await stopRedis(redis);

    const ready = await t.http().get('/health/ready').expect(503);
    expect(ready.body).toMatchObject({
      success: false,
      code: 'SERVICE_UNAVAILABLE',
      errors: { redis: [expect.stringContaining('down')] },
    });
    expect(ready.body.errors).not.toHaveProperty('database');
    const login = await t
      .http()
      .post('/api/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(503);
    expect(login.body).toMatchObject({
      success: false,
      code: 'SERVICE_UNAVAILABLE',
      requestId: expect.any(String),
    });
    expect(JSON.stringify(login.body)).not.toMatch(/at .*\.js:\d+/);
    await t.http().get('/health').expect(200);

    redis = await startRedis(redisPort);
    await eventually(async () => {
      await t.http().get('/health/ready').expect(200);
    });
    await t.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(200);
  });

  it('answers 503 while PostgreSQL is unreachable, and reconnects when it returns', async () => {
    const user = await makeUser(t);
    await pg.cut();

    const ready = await t.http().get('/health/ready').expect(503);
    expect(ready.body.errors).toHaveProperty('database');
    const me = await t.http().get('/api/auth/me').set('X-API-Key', user.apiKey).expect(503);
    expect(me.body.code).toBe('SERVICE_UNAVAILABLE');
    await t
      .http()
      .post('/api/auth/register')
      .send({ email: `down-${Date.now()}@example.com`, password: 'password-123' })
      .expect(503);

    await pg.restore();
    await eventually(async () => {
      await t.http().get('/api/auth/me').set('X-API-Key', user.apiKey).expect(200);
    });
    await t.http().get('/health/ready').expect(200);
  });
});
