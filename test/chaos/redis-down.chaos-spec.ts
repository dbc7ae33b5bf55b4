import type { ChildProcess } from 'node:child_process';
import type { Client } from 'pg';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { bearer, makeUser, TestUser } from '@app/testing/factories';
import { eventually } from '@app/testing/eventually';
import { submitJob, waitForJob } from '@app/testing/jobs';
import { freePort } from '@app/testing/spawn-app';
import { WebhookReceiver } from '@app/testing/webhook-receiver';
import { TcpProxy } from '@app/testing/tcp-proxy';
import { TEST_ADMIN, TEST_DATABASE } from '../test-env';
import { observer, startRedis, stopRedis } from './chaos-kit';

/** Every answer while Redis is down comes within this, however the route depends on Redis. */
const BOUND_MS = 2000;

interface Call {
  name: string;
  send: () => Promise<{ status: number; body: { code?: string } }>;
  /** What the route may answer with Redis down, besides 503 SERVICE_UNAVAILABLE. */
  ok?: number[];
  /** Reads PostgreSQL: the route's change, if it made one. Compared before and after. */
  effect?: () => Promise<unknown>;
}

/**
 * Redis is down (a throwaway redis-server, SIGKILLed), then PostgreSQL is unreachable (a TCP proxy in front of it
 * is cut), and each time every route of the API is called once. Each answers
 * within BOUND_MS; an answer is either 503 SERVICE_UNAVAILABLE with nothing changed in PostgreSQL, or a success
 * whose change is there: never a 503 for a change that was made, never a 500, never a hang. When the service comes
 * back (Redis empty), the first submission after readiness says ready succeeds.
 */
jest.setTimeout(240_000);

describe('Chaos: every route with Redis or PostgreSQL down', () => {
  let t: TestApp;
  let db: Client;
  let redis: ChildProcess;
  let port: number;
  let user: TestUser;
  let admin: string;
  const receiver = new WebhookReceiver();
  const pg = new TcpProxy('127.0.0.1', 5432);

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    const pgPort = await pg.start();
    t = await createTestApp({
      PROCESS_ROLE: 'all',
      REDIS_URL: `redis://127.0.0.1:${port}`,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/${TEST_DATABASE}`,
    });
    db = await observer();
    user = await makeUser(t);
    await receiver.start();
    const login = await t.http().post('/api/auth/login').send(TEST_ADMIN).expect(200);
    admin = login.body.data.accessToken as string;
  });
  afterAll(async () => {
    await receiver.close();
    await t?.close();
    await db?.end();
    if (redis) await stopRedis(redis);
    await pg.cut();
  });

  const row = async (id: string) =>
    (
      await db.query<Record<string, unknown>>(
        `SELECT status, priority, run_at, attempts, updated_at FROM jobs WHERE id = $1`,
        [id],
      )
    ).rows[0];
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await db.query<{ n: string }>(sql, params)).rows[0].n);

  /** Jobs, keys and tokens for every route to act on, and the route table over them. */
  async function prepare(): Promise<Call[]> {
    const key = user.apiKey;
    const as = { 'X-API-Key': key };
    const finished = await submitJob(t, key, {
      type: 'csv-export',
      payload: { data: [{ a: 1 }] },
      webhookUrl: `${receiver.url}/hook`,
    });
    await waitForJob(t, key, finished.id);
    await receiver.waitFor('/hook');
    const failed = await submitJob(t, key, {
      type: 'sleep',
      payload: { delayMs: 1, forceFail: true },
      maxRetries: 0,
    });
    await waitForJob(t, key, failed.id);
    const replayable = await submitJob(t, key, {
      type: 'sleep',
      payload: { delayMs: 1, forceFail: true },
      maxRetries: 0,
    });
    await waitForJob(t, key, replayable.id);
    const waiting = await submitJob(t, key, { type: 'sleep', payload: { delayMs: 1 }, delayMs: 3_600_000 });
    const cancellable = await submitJob(t, key, {
      type: 'sleep',
      payload: { delayMs: 1 },
      delayMs: 3_600_000,
    });
    const spareKey = await t.http().post('/api/auth/api-keys').set(as).send({ name: 'spare' }).expect(201);
    const login = await t.http().post('/api/auth/login').send({ email: user.email, password: user.password });
    const { refreshToken } = login.body.data as { refreshToken: string };
    const secondLogin = await t
      .http()
      .post('/api/auth/login')
      .send({ email: user.email, password: user.password });
    const logoutToken = (secondLogin.body.data as { refreshToken: string }).refreshToken;
    const email = `down-${Date.now()}@example.com`;
    const limited = await makeUser(t);
    const doomed = await makeUser(t);

    const http = () => t.http();
    const calls: Call[] = [
      { name: 'GET /health', send: () => http().get('/health'), ok: [200] },
      { name: 'GET /health/ready', send: () => http().get('/health/ready') },
      { name: 'GET /metrics', send: () => http().get('/metrics'), ok: [200] },
      {
        name: 'POST /api/auth/register',
        send: () => http().post('/api/auth/register').send({ email, password: 'password-123' }),
        ok: [201],
        effect: () => count(`SELECT count(*) AS n FROM users WHERE email = $1`, [email]),
      },
      {
        name: 'POST /api/auth/login',
        send: () => http().post('/api/auth/login').send({ email: user.email, password: user.password }),
        ok: [200],
      },
      {
        name: 'POST /api/auth/refresh',
        send: () => http().post('/api/auth/refresh').send({ refreshToken }),
        ok: [200],
        effect: () => count(`SELECT count(*) AS n FROM refresh_tokens WHERE used_at IS NOT NULL`),
      },
      {
        name: 'POST /api/auth/logout',
        send: () => http().post('/api/auth/logout').send({ refreshToken: logoutToken }),
        ok: [200],
        effect: () => count(`SELECT count(*) AS n FROM refresh_tokens WHERE revoked_at IS NOT NULL`),
      },
      { name: 'GET /api/auth/me', send: () => http().get('/api/auth/me').set(as), ok: [200] },
      {
        name: 'POST /api/auth/api-keys',
        send: () => http().post('/api/auth/api-keys').set(as).send({ name: 'during-outage' }),
        ok: [201],
        effect: () => count(`SELECT count(*) AS n FROM api_keys WHERE name = 'during-outage'`),
      },
      { name: 'GET /api/auth/api-keys', send: () => http().get('/api/auth/api-keys').set(as), ok: [200] },
      {
        name: 'DELETE /api/auth/api-keys/:id',
        send: () => http().delete(`/api/auth/api-keys/${spareKey.body.data.id}`).set(as),
        ok: [200],
        effect: () =>
          count(`SELECT count(*) AS n FROM api_keys WHERE id = $1 AND revoked_at IS NOT NULL`, [
            spareKey.body.data.id,
          ]),
      },
      {
        name: 'GET /api/auth/webhook-secret',
        send: () => http().get('/api/auth/webhook-secret').set(as),
        ok: [200],
      },
      {
        name: 'POST /api/auth/webhook-secret/rotate',
        send: () => http().post('/api/auth/webhook-secret/rotate').set(as),
        ok: [201, 200],
        effect: async () =>
          (await db.query(`SELECT secret FROM webhook_secrets WHERE user_id = $1`, [user.id])).rows[0],
      },
      {
        name: 'POST /api/jobs',
        send: () =>
          http()
            .post('/api/jobs')
            .set(as)
            .send({ type: 'sleep', payload: { delayMs: 1 } }),
        ok: [201],
        effect: () => count(`SELECT count(*) AS n FROM jobs WHERE user_id = $1`, [user.id]),
      },
      {
        name: 'POST /api/jobs/batch',
        send: () =>
          http()
            .post('/api/jobs/batch')
            .set(as)
            .send({ jobs: [{ type: 'sleep', payload: { delayMs: 1 } }] }),
        ok: [201],
        effect: () => count(`SELECT count(*) AS n FROM jobs WHERE user_id = $1`, [user.id]),
      },
      { name: 'GET /api/jobs', send: () => http().get('/api/jobs').set(as), ok: [200] },
      { name: 'GET /api/jobs/stats', send: () => http().get('/api/jobs/stats').set(as), ok: [200] },
      { name: 'GET /api/jobs/:id', send: () => http().get(`/api/jobs/${finished.id}`).set(as), ok: [200] },
      {
        name: 'PATCH /api/jobs/:id',
        send: () => http().patch(`/api/jobs/${waiting.id}`).set(as).send({ priority: 'high' }),
        ok: [200],
        effect: () => row(waiting.id),
      },
      {
        name: 'DELETE /api/jobs/:id',
        send: () => http().delete(`/api/jobs/${cancellable.id}`).set(as),
        ok: [200],
        effect: () => row(cancellable.id),
      },
      {
        name: 'GET /api/jobs/:id/artifact',
        send: () => http().get(`/api/jobs/${finished.id}/artifact`).set(as),
        ok: [200],
      },
      {
        name: 'GET /api/jobs/:id/logs',
        send: () => http().get(`/api/jobs/${finished.id}/logs`).set(as),
        ok: [200],
      },
      {
        name: 'POST /api/jobs/:id/retry',
        send: () => http().post(`/api/jobs/${failed.id}/retry`).set(as),
        ok: [201],
        effect: () => row(failed.id),
      },
      {
        name: 'GET /api/jobs/:id/webhook-logs',
        send: () => http().get(`/api/jobs/${finished.id}/webhook-logs`).set(as),
        ok: [200],
      },
      {
        name: 'POST /api/jobs/:id/webhook-logs/redeliver',
        send: () => http().post(`/api/jobs/${finished.id}/webhook-logs/redeliver`).set(as),
        ok: [201],
      },
      {
        name: 'GET /api/admin/jobs',
        send: () => http().get('/api/admin/jobs').set(bearer(admin)),
        ok: [200],
      },
      {
        name: 'GET /api/admin/stats',
        send: () => http().get('/api/admin/stats').set(bearer(admin)),
        ok: [200],
      },
      {
        name: 'POST /api/admin/jobs/replay',
        send: () =>
          http().post('/api/admin/jobs/replay').set(bearer(admin)).send({ userId: user.id, q: 'forceFail' }),
        ok: [200],
        effect: () => row(replayable.id),
      },
      {
        name: 'GET /api/jobs/:id/position',
        send: () => http().get(`/api/jobs/${waiting.id}/position`).set(as),
        ok: [200],
      },
      {
        name: 'PATCH /api/admin/users/:id',
        send: () => http().patch(`/api/admin/users/${limited.id}`).set(bearer(admin)).send({ weight: 3 }),
        ok: [200],
        effect: () => count(`SELECT weight AS n FROM users WHERE id = $1`, [limited.id]),
      },
      // Pause first, resume after: the queue is running again whatever each answered.
      {
        name: 'POST /api/admin/queue/pause',
        send: () => http().post('/api/admin/queue/pause').set(bearer(admin)),
        ok: [200],
      },
      {
        name: 'POST /api/admin/queue/resume',
        send: () => http().post('/api/admin/queue/resume').set(bearer(admin)),
        ok: [200],
      },
      {
        name: 'DELETE /api/admin/users/:id',
        send: () => http().delete(`/api/admin/users/${doomed.id}`).set(bearer(admin)),
        ok: [204],
        effect: () => count(`SELECT count(*) AS n FROM users WHERE id = $1`, [doomed.id]),
      },
      {
        name: 'GET /admin/queues/api/queues',
        send: () => http().get('/admin/queues/api/queues').set(bearer(admin)),
        ok: [200],
      },
    ];
    return calls;
  }

  /** Calls every route once; the problems found (none is right), and how many routes answered 503. */
  async function callEveryRoute(calls: Call[]): Promise<{ problems: string[]; unavailable: number }> {
    const problems: string[] = [];
    let unavailable = 0;
    for (const call of calls) {
      const before = await call.effect?.();
      const started = Date.now();
      const res = await Promise.race([
        call.send().catch((error: Error) => ({ status: 0, body: { code: error.message } })),
        new Promise<{ status: number; body: { code?: string } }>((resolve) =>
          setTimeout(() => resolve({ status: -1, body: { code: 'NO ANSWER' } }), 10_000),
        ),
      ]);
      const ms = Date.now() - started;
      const after = await call.effect?.();
      const changed = JSON.stringify(before) !== JSON.stringify(after);
      const what = `${call.name}: ${res.status} ${res.body.code ?? ''} in ${ms} ms`;
      if (ms > BOUND_MS) problems.push(`${what}: slower than ${BOUND_MS} ms`);
      if (res.status === 503) {
        unavailable++;
        if (res.body.code !== 'SERVICE_UNAVAILABLE') problems.push(`${what}: 503 without its code`);
        if (changed) problems.push(`${what}: 503, but the change was made`);
      } else if (!(call.ok ?? []).includes(res.status)) {
        problems.push(`${what}: neither 503 nor ${(call.ok ?? []).join('/')}`);
      } else if (call.effect && !changed) {
        problems.push(`${what}: success, but nothing changed`);
      }
    }
    return { problems, unavailable };
  }

  /** After the outage: the first submission once readiness says ready succeeds, and runs. */
  async function expectSubmissionsWork() {
    await eventually(async () => {
      await t.http().get('/health/ready').expect(200);
    }, 30_000);
    const res = await t
      .http()
      .post('/api/jobs')
      .set('X-API-Key', user.apiKey)
      .send({ type: 'sleep', payload: { delayMs: 1 } });
    expect(res.status).toBe(201);
    await waitForJob(t, user.apiKey, (res.body as { data: { id: string } }).data.id);
  }

  it('answers every route within 2 s with Redis down: 503 with nothing changed, or success with the change made', async () => {
    const calls = await prepare();
    await stopRedis(redis);
    const { problems, unavailable } = await callEveryRoute(calls);
    expect(problems).toEqual([]);
    expect(unavailable).toBeGreaterThanOrEqual(5); // submissions, login, register, readiness, redeliver…
    // Back, empty (as after a restart without persistence).
    redis = await startRedis(port);
    await expectSubmissionsWork();
  });

  it('answers every route within 2 s with PostgreSQL unreachable, alike', async () => {
    const calls = await prepare();
    await pg.cut();
    try {
      const { problems, unavailable } = await callEveryRoute(calls);
      expect(problems).toEqual([]);
      expect(unavailable).toBeGreaterThanOrEqual(20); // all but /health, /metrics and the board
    } finally {
      await pg.restore();
    }
    await expectSubmissionsWork();
  });
});
