import { createHash, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { submitJob } from '@app/testing/jobs';
import { TEST_ENV } from '../test-env';

/** Submission through the API: idempotency, batches, validation, isolation. No worker runs here. */
describe('Job submission (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let user: TestUser;
  const sleep = (delayMs = 10) => ({ type: 'sleep', payload: { delayMs } });
  const countJobs = async (userId: string) =>
    (await db.query<{ n: number }[]>('SELECT count(*)::int AS n FROM jobs WHERE user_id = $1', [userId]))[0]
      .n;

  beforeAll(async () => {
    t = await createTestApp();
    db = t.app.get(DataSource);
    user = await makeUser(t);
  });
  afterAll(() => t.close());

  describe('POST /api/jobs', () => {
    it('creates a PENDING job with the contract defaults', async () => {
      const res = await t.http().post('/api/jobs').set('X-API-Key', user.apiKey).send(sleep()).expect(201);
      expect(res.body).toMatchObject({ success: true, message: 'Job submitted' });
      expect(res.body.data).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        userId: user.id,
        type: 'sleep',
        status: 'PENDING',
        priority: 'normal',
        payload: { delayMs: 10 },
        result: null,
        error: null,
        progress: 0,
        attempts: 0,
        maxRetries: 3,
        timeoutMs: 30000,
        webhookUrl: null,
        idempotencyKey: null,
        runAt: null,
        nextRetryAt: null,
        startedAt: null,
        finishedAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
    });

    it.each([
      ['a missing type', { payload: {} }, 'type'],
      ['an unknown type', { type: 'mine-bitcoin', payload: {} }, 'type'],
      ['a payload that is not an object', { type: 'sleep', payload: 'x' }, 'payload'],
      ['a bad payload field', { type: 'sleep', payload: { delayMs: -5 } }, 'payload.delayMs'],
      ['an unknown payload field', { type: 'sleep', payload: { delayMs: 1, extra: 1 } }, 'payload.extra'],
      ['a bad priority', { ...sleep(), priority: 'urgent' }, 'priority'],
      ['too many retries', { ...sleep(), maxRetries: 11 }, 'maxRetries'],
      ['negative retries', { ...sleep(), maxRetries: -1 }, 'maxRetries'],
      ['retries as a string', { ...sleep(), maxRetries: '3' }, 'maxRetries'],
      ['a too short timeout', { ...sleep(), timeoutMs: 999 }, 'timeoutMs'],
      ['a negative delay', { ...sleep(), delayMs: -1 }, 'delayMs'],
      ['a bad runAt', { ...sleep(), runAt: 'tomorrow' }, 'runAt'],
      ['both delayMs and runAt', { ...sleep(), delayMs: 10, runAt: new Date().toISOString() }, 'runAt'],
      ['a non-http webhook', { ...sleep(), webhookUrl: 'ftp://example.com/x' }, 'webhookUrl'],
      ['an unknown field', { ...sleep(), color: 'red' }, 'color'],
      ['an over-long idempotency key', { ...sleep(), idempotencyKey: 'k'.repeat(256) }, 'idempotencyKey'],
    ])('answers 400 naming the field for %s, and writes nothing', async (_, body, field) => {
      const before = await countJobs(user.id);
      const res = await t.http().post('/api/jobs').set('X-API-Key', user.apiKey).send(body).expect(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
      expect(Object.keys(res.body.errors)).toContain(field);
      expect(await countJobs(user.id)).toBe(before);
    });

    it('lists the registered types for an unknown type', async () => {
      const res = await t
        .http()
        .post('/api/jobs')
        .set('X-API-Key', user.apiKey)
        .send({ type: 'nope', payload: {} })
        .expect(400);
      for (const type of [
        'send-email',
        'generate-report',
        'resize-image',
        'csv-export',
        'http-request',
        'data-processing',
        'sleep',
      ]) {
        expect(res.body.errors.type[0]).toContain(type);
      }
    });

    it('requires credentials', async () => {
      await t.http().post('/api/jobs').send(sleep()).expect(401);
    });
  });

  describe('idempotency', () => {
    it('replays the original job for the same key and body (body field or header)', async () => {
      const key = randomUUID();
      const first = await t
        .http()
        .post('/api/jobs')
        .set('X-API-Key', user.apiKey)
        .send({ ...sleep(), idempotencyKey: key })
        .expect(201);
      const again = await t
        .http()
        .post('/api/jobs')
        .set('X-API-Key', user.apiKey)
        .send({ ...sleep(), idempotencyKey: key })
        .expect(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.data.id).toBe(first.body.data.id);
      expect(first.headers['idempotent-replayed']).toBeUndefined();

      const headerKey = randomUUID();
      const viaHeader = await t
        .http()
        .post('/api/jobs')
        .set('X-API-Key', user.apiKey)
        .set('Idempotency-Key', headerKey)
        .send(sleep())
        .expect(201);
      const replay = await t
        .http()
        .post('/api/jobs')
        .set('X-API-Key', user.apiKey)
        .set('Idempotency-Key', headerKey)
        .send(sleep())
        .expect(200);
      expect(replay.body.data).toMatchObject({ id: viaHeader.body.data.id, idempotencyKey: headerKey });
    });

    it('answers 422 for the same key with another body', async () => {
      const key = randomUUID();
      await t
        .http()
        .post('/api/jobs')
        .set('X-API-Key', user.apiKey)
        .set('Idempotency-Key', key)
        .send(sleep(10))
        .expect(201);
      const res = await t
        .http()
        .post('/api/jobs')
        .set('X-API-Key', user.apiKey)
        .set('Idempotency-Key', key)
        .send(sleep(20))
        .expect(422);
      expect(res.body).toMatchObject({ success: false, code: 'IDEMPOTENCY_KEY_REUSED' });
    });

    it('keeps keys per user', async () => {
      const other = await makeUser(t);
      const key = randomUUID();
      const mine = await t
        .http()
        .post('/api/jobs')
        .set('X-API-Key', user.apiKey)
        .set('Idempotency-Key', key)
        .send(sleep())
        .expect(201);
      const theirs = await t
        .http()
        .post('/api/jobs')
        .set('X-API-Key', other.apiKey)
        .set('Idempotency-Key', key)
        .send(sleep())
        .expect(201);
      expect(theirs.body.data.id).not.toBe(mine.body.data.id);
    });

    it('answers 409 while a request with the key is still being handled', async () => {
      const key = randomUUID();
      const redis = new Redis(TEST_ENV.REDIS_URL);
      const lock = `conveyor:idempotency:${user.id}:${createHash('sha256').update(key).digest('hex')}`;
      await redis.set(lock, 'another-request', 'PX', 10_000);
      try {
        const res = await t
          .http()
          .post('/api/jobs')
          .set('X-API-Key', user.apiKey)
          .set('Idempotency-Key', key)
          .send(sleep())
          .expect(409);
        expect(res.body.code).toBe('IDEMPOTENCY_KEY_IN_USE');
      } finally {
        await redis.del(lock);
        await redis.quit();
      }
      await t
        .http()
        .post('/api/jobs')
        .set('X-API-Key', user.apiKey)
        .set('Idempotency-Key', key)
        .send(sleep())
        .expect(201);
    });

    it('creates exactly one job from 20 concurrent submissions with one key', async () => {
      const key = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          t.http().post('/api/jobs').set('X-API-Key', user.apiKey).set('Idempotency-Key', key).send(sleep()),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.every((s) => [200, 201, 409].includes(s))).toBe(true);
      const ids = new Set(results.filter((r) => r.status < 300).map((r) => r.body.data.id as string));
      expect(ids.size).toBe(1);
      const rows = await db.query<{ id: string }[]>(
        'SELECT id FROM jobs WHERE user_id = $1 AND idempotency_key = $2',
        [user.id, key],
      );
      expect(rows.map((r) => r.id)).toEqual([...ids]);
    });

    it('answers 400 for a malformed Idempotency-Key header', async () => {
      const res = await t
        .http()
        .post('/api/jobs')
        .set('X-API-Key', user.apiKey)
        .set('Idempotency-Key', 'with space')
        .send(sleep())
        .expect(400);
      expect(res.body.errors).toHaveProperty('Idempotency-Key');
    });
  });

  describe('POST /api/jobs/batch', () => {
    it('creates every job in one go', async () => {
      const res = await t
        .http()
        .post('/api/jobs/batch')
        .set('X-API-Key', user.apiKey)
        .send({ jobs: [sleep(1), sleep(2), { ...sleep(3), priority: 'high' }] })
        .expect(201);
      expect(res.body.data.jobs).toHaveLength(3);
      expect(res.body.data.jobs.map((j: { payload: { delayMs: number } }) => j.payload.delayMs)).toEqual([
        1, 2, 3,
      ]);
      expect(res.body.data.jobs[2].priority).toBe('high');
    });

    it('creates nothing when one job is bad, and names it', async () => {
      const before = await countJobs(user.id);
      const res = await t
        .http()
        .post('/api/jobs/batch')
        .set('X-API-Key', user.apiKey)
        .send({ jobs: [sleep(1), { type: 'sleep', payload: { delayMs: 'x' } }, sleep(3)] })
        .expect(400);
      expect(Object.keys(res.body.errors)).toEqual(['jobs.1.payload.delayMs']);
      expect(await countJobs(user.id)).toBe(before);
    });

    it.each([
      ['an empty batch', { jobs: [] }, 'jobs'],
      [
        'more than 100 jobs',
        { jobs: Array.from({ length: 101 }, () => ({ type: 'sleep', payload: { delayMs: 1 } })) },
        'jobs',
      ],
      ['no jobs array', { job: [] }, 'job'],
      [
        'an idempotency key inside',
        { jobs: [{ type: 'sleep', payload: { delayMs: 1 }, idempotencyKey: 'k' }] },
        'jobs.0.idempotencyKey',
      ],
    ])('answers 400 for %s', async (_, body, field) => {
      const res = await t.http().post('/api/jobs/batch').set('X-API-Key', user.apiKey).send(body).expect(400);
      expect(Object.keys(res.body.errors)).toContain(field);
    });
  });

  describe('reading and isolation', () => {
    it("lists only the caller's jobs, newest first, paginated and filtered", async () => {
      const reader = await makeUser(t);
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push((await submitJob(t, reader.apiKey, sleep(i))).id);
      await submitJob(t, reader.apiKey, { type: 'data-processing', payload: { numbers: [1, 2] } });
      const page = await t
        .http()
        .get('/api/jobs?page=2&limit=2&type=sleep')
        .set('X-API-Key', reader.apiKey)
        .expect(200);
      expect(page.body.meta).toEqual({
        total: 5,
        page: 2,
        limit: 2,
        totalPages: 3,
        hasNextPage: true,
        hasPrevPage: true,
      });
      expect(page.body.data.map((j: { id: string }) => j.id)).toEqual([created[2], created[1]]);
      const pending = await t
        .http()
        .get('/api/jobs?status=PENDING&limit=100')
        .set('X-API-Key', reader.apiKey)
        .expect(200);
      expect(pending.body.meta.total).toBe(6);
      const none = await t
        .http()
        .get(`/api/jobs?to=${encodeURIComponent('2000-01-01T00:00:00Z')}`)
        .set('X-API-Key', reader.apiKey)
        .expect(200);
      expect(none.body).toMatchObject({
        data: [],
        meta: { total: 0, totalPages: 0, hasNextPage: false, hasPrevPage: false },
      });
      const all = await t.http().get('/api/jobs?limit=100').set('X-API-Key', user.apiKey).expect(200);
      expect(all.body.data.every((j: { userId: string }) => j.userId === user.id)).toBe(true);
    });

    it.each([
      ['page=0', 'page'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['status=DONEISH', 'status'],
      ['from=yesterday', 'from'],
      ['sort=asc', 'sort'],
    ])('answers 400 naming the parameter for %s', async (query, field) => {
      const res = await t.http().get(`/api/jobs?${query}`).set('X-API-Key', user.apiKey).expect(400);
      expect(Object.keys(res.body.errors)).toContain(field);
    });

    it("answers 404 for another user's job on every route, and for a non-UUID id", async () => {
      const job = await submitJob(t, user.apiKey, sleep());
      const other = await makeUser(t);
      const routes = [
        () => t.http().get(`/api/jobs/${job.id}`),
        () => t.http().get(`/api/jobs/${job.id}/logs`),
        () => t.http().get(`/api/jobs/${job.id}/artifact`),
        () => t.http().delete(`/api/jobs/${job.id}`),
        () => t.http().post(`/api/jobs/${job.id}/retry`),
        () => t.http().patch(`/api/jobs/${job.id}`).send({ priority: 'high' }),
      ];
      for (const route of routes) {
        const res = await route().set('X-API-Key', other.apiKey).expect(404);
        expect(res.body).toMatchObject({ success: false, code: 'JOB_NOT_FOUND', message: 'Job not found' });
      }
      await t.http().get('/api/jobs/not-a-uuid').set('X-API-Key', user.apiKey).expect(404);
      await t.http().get(`/api/jobs/${randomUUID()}`).set('X-API-Key', user.apiKey).expect(404);
      const mine = await t.http().get(`/api/jobs/${job.id}`).set('X-API-Key', user.apiKey).expect(200);
      expect(mine.body.data.status).toBe('PENDING');
    });
  });
});
