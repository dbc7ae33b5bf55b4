import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { pollUntil } from '@app/testing/eventually';
import { jobLogs, submitJob, waitForJob } from '@app/testing/jobs';
import { WebhookReceiver, webhookLogs } from '@app/testing/webhook-receiver';

/**
 * Every per-user quota through real HTTP, with small limits: what is counted, what is given back (error
 * answers, idempotent replays), admin replays all or none, redeliveries limited and one pending per job, counted
 * at a real receiver.
 */
describe('Quotas (e2e)', () => {
  let t: TestApp;
  const receiver = new WebhookReceiver();
  const JOBS = 3;
  const REPLAYS = 2;
  const REDELIVERIES = 3;
  const sleep = { type: 'sleep', payload: { delayMs: 1 } };
  const remaining = (res: { headers: Record<string, string> }) => res.headers['x-ratelimit-remaining'];
  const submit = (user: TestUser, body: object, key?: string) => {
    const req = t.http().post('/api/jobs').set('X-API-Key', user.apiKey);
    return (key ? req.set('Idempotency-Key', key) : req).send(body);
  };

  beforeAll(async () => {
    await receiver.start();
    t = await createTestApp({
      PROCESS_ROLE: 'all',
      RATE_LIMIT_JOBS_PER_MINUTE: String(JOBS),
      RATE_LIMIT_REPLAYS_PER_MINUTE: String(REPLAYS),
      RATE_LIMIT_REDELIVERIES_PER_MINUTE: String(REDELIVERIES),
      WEBHOOK_MAX_ATTEMPTS: '2',
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver.close();
  });

  describe('job submissions', () => {
    it('answers an idempotent replay at the limit with 200 and the original job, costing nothing', async () => {
      const user = await makeUser(t);
      const key = `k-${randomUUID()}`;
      const first = await submit(user, sleep, key).expect(201);
      expect(remaining(first)).toBe('2');
      await submit(user, sleep).expect(201);
      const last = await submit(user, sleep).expect(201);
      expect(remaining(last)).toBe('0');

      const replay = await submit(user, sleep, key).expect(200);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body.data.id).toBe(first.body.data.id);
      expect(remaining(replay)).toBe('0');
      const again = await submit(user, sleep, key).expect(200);
      expect(again.body.data.id).toBe(first.body.data.id);

      const limited = await submit(user, sleep).expect(429);
      expect(limited.body.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('gives back what 400, 404 and 422 answers took: the count stays and real submissions still fit', async () => {
      const user = await makeUser(t);
      const key = `k-${randomUUID()}`;
      const job = await submit(user, sleep, key).expect(201);
      expect(remaining(job)).toBe('2');

      const answers = [
        await submit(user, { type: 'sleep' }).expect(400), // no payload
        await submit(user, { type: 'no-such-type', payload: {} }).expect(400),
        await submit(user, { ...sleep, payload: { delayMs: 2 } }, key).expect(422), // the key, another body
        await t.http().post(`/api/jobs/${randomUUID()}/retry`).set('X-API-Key', user.apiKey).expect(404),
        // Not FAILED or CANCELLED: nothing to retry.
        await t.http().post(`/api/jobs/${job.body.data.id}/retry`).set('X-API-Key', user.apiKey).expect(400),
        await t
          .http()
          .post('/api/jobs/batch')
          .set('X-API-Key', user.apiKey)
          .send({ jobs: [sleep, { type: 'sleep' }] })
          .expect(400),
      ];
      expect(answers.map(remaining)).toEqual(['2', '2', '2', '2', '2', '2']);

      const two = await t
        .http()
        .post('/api/jobs/batch')
        .set('X-API-Key', user.apiKey)
        .send({ jobs: [sleep, sleep] })
        .expect(201);
      expect(remaining(two)).toBe('0');
      const list = await t.http().get('/api/jobs').set('X-API-Key', user.apiKey).expect(200);
      expect(list.body.meta.total).toBe(3);
    });
  });

  describe('admin replays', () => {
    let admin: TestUser;
    let owner: TestUser;
    let failed: string[];
    const replay = (body: object) =>
      t.http().post('/api/admin/jobs/replay').set('X-API-Key', admin.apiKey).send(body);

    beforeAll(async () => {
      // An admin of this suite's own, so no other suite's replays share its count.
      admin = await makeUser(t);
      await t.app.get(DataSource).query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
      owner = await makeUser(t);
      const jobs = [];
      for (let i = 0; i < 3; i++)
        jobs.push(
          await submitJob(t, owner.apiKey, {
            ...sleep,
            payload: { delayMs: 1, forceFail: true },
            maxRetries: 0,
          }),
        );
      failed = [];
      for (const job of jobs) failed.push((await waitForJob(t, owner.apiKey, job.id)).id);
    });

    it('counts the jobs replayed; a replay bigger than what is left is refused whole (429)', async () => {
      const dry = await replay({ userId: owner.id, dryRun: true }).expect(200);
      expect(dry.body.data).toEqual({ matched: 3, replayed: 0, dryRun: true });
      expect(dry.headers['x-ratelimit-limit']).toBe(String(REPLAYS));
      expect(remaining(dry)).toBe('2'); // a dry run costs nothing

      const tooBig = await replay({ userId: owner.id }).expect(429);
      expect(tooBig.body).toMatchObject({
        code: 'RATE_LIMITED',
        message: expect.stringMatching(
          /^Too many requests\. You can replay a maximum of 2 jobs per minute\. This request needs 3 and 2 are left\. Try again in \d+ seconds\.$/,
        ),
      });
      expect(Number(tooBig.headers['retry-after'])).toBeGreaterThan(0);
      for (const id of failed) {
        const job = await t.http().get(`/api/jobs/${id}`).set('X-API-Key', owner.apiKey).expect(200);
        expect(job.body.data.status).toBe('FAILED');
        expect((await jobLogs(t, owner.apiKey, id)).map((line) => line.message)).not.toContain(
          `Replayed by admin ${admin.email}`,
        );
      }

      const two = await replay({ userId: owner.id, limit: 2 }).expect(200);
      expect(two.body.data).toMatchObject({ matched: 3, replayed: 2, jobIds: failed.slice(0, 2) });
      expect(remaining(two)).toBe('0');
      const invalid = await replay({ userId: owner.id, limit: 0 }).expect(400);
      expect(remaining(invalid)).toBe('0');
      await replay({ userId: owner.id, dryRun: true }).expect(200);
      const refused = await replay({ userId: owner.id, limit: 1 }).expect(429);
      expect(refused.body.message).toMatch(
        /^Too many requests\. You can replay a maximum of 2 jobs per minute\./,
      );
      const third = await t.http().get(`/api/jobs/${failed[2]}`).set('X-API-Key', owner.apiKey).expect(200);
      expect(third.body.data.attempts).toBe(1);
      expect(third.body.data.status).toBe('FAILED');
    });
  });

  describe('webhook redeliveries', () => {
    it('lets one redelivery of a job be pending at a time, and limits them per user', async () => {
      const user = await makeUser(t);
      const path = `/redeliver-${randomUUID().slice(0, 8)}`;
      // The job's own delivery lands; every redelivery attempt fails, so its chain is 2 POSTs, 2 s apart.
      receiver.respond(path, (previous) => (previous === 0 ? 200 : 500));
      const okPath = `/redeliver-ok-${randomUUID().slice(0, 8)}`;
      const job = await submitJob(t, user.apiKey, { ...sleep, webhookUrl: `${receiver.url}${path}` });
      // Two more jobs (the user's submission limit is 3), for the redeliveries that use the limit up.
      const others = [
        await submitJob(t, user.apiKey, { ...sleep, webhookUrl: `${receiver.url}${okPath}` }),
        await submitJob(t, user.apiKey, { ...sleep, webhookUrl: `${receiver.url}${okPath}` }),
      ];
      await receiver.waitFor(path, 1);
      await receiver.waitFor(okPath, 2);
      for (const { id } of [job, ...others])
        await pollUntil(
          () => webhookLogs(t, user.apiKey, id),
          (rows) => rows.length === 1,
        );
      const redeliver = (jobId = job.id) =>
        t.http().post(`/api/jobs/${jobId}/webhook-logs/redeliver`).set('X-API-Key', user.apiKey);

      // As many at once as the limit, so each one passes the quota: the job has one chain, the rest 409.
      const concurrent = await Promise.all(Array.from({ length: REDELIVERIES }, () => redeliver()));
      expect(concurrent.map((res) => res.status).sort()).toEqual([202, 409, 409]);
      const accepted = concurrent.find((res) => res.status === 202)!;
      const { deliveryId } = accepted.body.data as { deliveryId: string };
      for (const res of concurrent.filter((r) => r.status === 409)) {
        expect(res.body).toMatchObject({
          code: 'REDELIVERY_PENDING',
          message: `A redelivery of this job (delivery ${deliveryId}) is still pending. Wait for it to finish.`,
        });
      }

      // The one chain runs to its end: the job's delivery plus WEBHOOK_MAX_ATTEMPTS (2) POSTs, no more.
      const rows = await pollUntil(
        () => webhookLogs(t, user.apiKey, job.id),
        (all) => all.filter((row) => row.deliveryId === deliveryId).length === 2,
        30_000,
      );
      expect(rows).toHaveLength(3);
      expect(receiver.on(path)).toHaveLength(3);
      expect(
        receiver
          .on(path)
          .slice(1)
          .map((hook) => hook.headers['webhook-id']),
      ).toEqual([deliveryId, deliveryId]);

      // The 409s and a 404 gave their count back: two of the three are left.
      const missing = await redeliver(randomUUID()).expect(404);
      expect(remaining(missing)).toBe('2');
      expect(remaining(await redeliver(others[0].id).expect(202))).toBe('1');
      expect(remaining(await redeliver(others[1].id).expect(202))).toBe('0');
      const limited = await redeliver(others[0].id).expect(429);
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.headers['x-ratelimit-limit']).toBe(String(REDELIVERIES));
      expect(limited.body).toEqual({
        success: false,
        code: 'RATE_LIMITED',
        requestId: expect.any(String),
        retryAfter,
        message: `Too many requests. You can request a maximum of 3 redeliveries per minute. Try again in ${retryAfter} seconds.`,
      });
      // Each accepted redelivery is one POST at the receiver.
      await receiver.waitFor(okPath, 4);
      expect(receiver.on(okPath)).toHaveLength(4);
    });
  });
});
