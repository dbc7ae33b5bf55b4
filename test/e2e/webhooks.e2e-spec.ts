import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { jobLogs, submitJob, waitForJob } from '@app/testing/jobs';
import { freePort } from '@app/testing/spawn-app';
import {
  ReceivedHook,
  UUID,
  verifyByHand,
  verifyConveyorSignature,
  verifyWithLibrary,
  WebhookReceiver,
  webhookLogs,
} from '@app/testing/webhook-receiver';
import { pollUntil } from '@app/testing/eventually';

/**
 * Webhook deliveries on the real app: the BullMQ workers run in-process (PROCESS_ROLE=all) and POST to a
 * local receiver on 127.0.0.1 (ALLOW_PRIVATE_NETWORK_TARGETS=true in the test environment), which checks
 * every body and header and verifies the signatures with the user's secret, by hand and with the
 * `standardwebhooks` package. Each test uses its own receiver path.
 */
describe('Webhooks (e2e)', () => {
  const MAX_ATTEMPTS = 3;
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let user: TestUser;
  let other: TestUser;

  const newPath = (name: string) => `/${name}-${randomUUID().slice(0, 8)}`;
  const sleepJob = (path: string, extra: Record<string, unknown> = {}) => ({
    type: 'sleep',
    payload: { delayMs: 10 },
    webhookUrl: `${receiver.url}${path}`,
    ...extra,
  });
  const messages = async (jobId: string, apiKey = user.apiKey) =>
    (await jobLogs(t, apiKey, jobId)).map((line) => line.message);
  const withSignature = (hook: ReceivedHook, signature: string): ReceivedHook => ({
    ...hook,
    headers: { ...hook.headers, 'webhook-signature': signature },
  });

  beforeAll(async () => {
    await receiver.start();
    t = await createTestApp({
      PROCESS_ROLE: 'all',
      WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    });
    user = await makeUser(t);
    other = await makeUser(t);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.close();
  });

  describe('a delivery', () => {
    it('POSTs the DONE event once with the contract body and headers, signed with the user secret', async () => {
      const path = newPath('done');
      const job = await submitJob(t, user.apiKey, sleepJob(path));
      const [hook] = await receiver.waitFor(path);
      const done = await waitForJob(t, user.apiKey, job.id);

      expect(hook.method).toBe('POST');
      const body = JSON.parse(hook.body);
      expect(Object.keys(body)).toEqual([
        'jobId',
        'type',
        'status',
        'result',
        'error',
        'attempts',
        'timestamp',
      ]);
      expect(body).toEqual({
        jobId: job.id,
        type: 'sleep',
        status: 'DONE',
        result: { sleptMs: 10 },
        error: null,
        attempts: 1,
        timestamp: done.finishedAt,
      });
      expect(hook.headers).toMatchObject({
        'content-type': 'application/json',
        'user-agent': 'Conveyor-Webhook/1.0',
        'x-conveyor-attempt': '1',
        'webhook-id': expect.stringMatching(UUID),
        'webhook-timestamp': expect.stringMatching(/^\d{10}$/),
        'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
        'x-conveyor-signature': expect.stringMatching(/^sha256=[0-9a-f]{64}$/),
      });
      expect(Math.abs(Number(hook.headers['webhook-timestamp']) - hook.receivedAt / 1000)).toBeLessThan(5);

      // The receiver's checks, by hand and with the standardwebhooks package; and they are not vacuous.
      expect(verifyByHand(user.webhookSecret, hook)).toBe(true);
      expect(verifyConveyorSignature(user.webhookSecret, hook)).toBe(true);
      expect(verifyWithLibrary(user.webhookSecret, hook)).toEqual(body);
      expect(verifyByHand(other.webhookSecret, hook)).toBe(false);
      expect(verifyConveyorSignature(other.webhookSecret, hook)).toBe(false);
      expect(() => verifyWithLibrary(other.webhookSecret, hook)).toThrow('No matching signature found');
      const tampered = { ...hook, body: hook.body.replace('"DONE"', '"FAILED"') };
      expect(verifyByHand(user.webhookSecret, tampered)).toBe(false);
      expect(verifyConveyorSignature(user.webhookSecret, tampered)).toBe(false);
      expect(() => verifyWithLibrary(user.webhookSecret, tampered)).toThrow();

      const logs = await pollUntil(
        () => webhookLogs(t, user.apiKey, job.id),
        (rows) => rows.length > 0,
      );
      expect(logs).toEqual([
        {
          id: expect.stringMatching(UUID),
          jobId: job.id,
          deliveryId: hook.headers['webhook-id'],
          url: `${receiver.url}${path}`,
          event: 'job.done',
          payload: body,
          statusCode: 200,
          success: true,
          attempt: 1,
          error: null,
          durationMs: expect.any(Number),
          createdAt: expect.any(String),
        },
      ]);
      expect(receiver.on(path)).toHaveLength(1);
    });

    it('delivers job.failed for a FAILED job, with its error', async () => {
      const path = newPath('failed');
      const job = await submitJob(
        t,
        user.apiKey,
        sleepJob(path, { payload: { delayMs: 10, forceFail: true }, maxRetries: 0 }),
      );
      const [hook] = await receiver.waitFor(path);
      const failed = await waitForJob(t, user.apiKey, job.id);

      expect(failed.status).toBe('FAILED');
      expect(JSON.parse(hook.body)).toEqual({
        jobId: job.id,
        type: 'sleep',
        status: 'FAILED',
        result: null,
        error: 'Simulated failure (attempt 1, forceFail)',
        attempts: 1,
        timestamp: failed.finishedAt,
      });
      expect(verifyByHand(user.webhookSecret, hook)).toBe(true);
      expect(verifyWithLibrary(user.webhookSecret, hook)).toMatchObject({ status: 'FAILED' });
      const [log] = await pollUntil(
        () => webhookLogs(t, user.apiKey, job.id),
        (rows) => rows.length > 0,
      );
      expect(log).toMatchObject({ event: 'job.failed', success: true, statusCode: 200, attempt: 1 });
    });

    it('delivers job.cancelled for a CANCELLED job', async () => {
      const path = newPath('cancelled');
      const job = await submitJob(t, user.apiKey, sleepJob(path, { delayMs: 60_000 }));
      await t.http().delete(`/api/jobs/${job.id}`).set('X-API-Key', user.apiKey).expect(200);
      const [hook] = await receiver.waitFor(path);
      const cancelled = await waitForJob(t, user.apiKey, job.id);

      expect(cancelled.status).toBe('CANCELLED');
      expect(JSON.parse(hook.body)).toEqual({
        jobId: job.id,
        type: 'sleep',
        status: 'CANCELLED',
        result: null,
        error: null,
        attempts: 0,
        timestamp: cancelled.finishedAt,
      });
      expect(verifyByHand(user.webhookSecret, hook)).toBe(true);
      expect(verifyWithLibrary(user.webhookSecret, hook)).toMatchObject({ status: 'CANCELLED' });
      const [log] = await pollUntil(
        () => webhookLogs(t, user.apiKey, job.id),
        (rows) => rows.length > 0,
      );
      expect(log).toMatchObject({ event: 'job.cancelled', success: true, statusCode: 200, attempt: 1 });
    });
  });

  describe('retries', () => {
    it('retries a 500 after about 2 s under the same webhook-id, and logs both attempts', async () => {
      const path = newPath('flaky');
      receiver.respond(path, (previous) => (previous === 0 ? 500 : 200));
      const job = await submitJob(t, user.apiKey, sleepJob(path));
      const [first, second] = await receiver.waitFor(path, 2);

      expect(first.headers['x-conveyor-attempt']).toBe('1');
      expect(second.headers['x-conveyor-attempt']).toBe('2');
      expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
      expect(second.body).toBe(first.body);
      expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(1900);
      expect(second.receivedAt - first.receivedAt).toBeLessThan(5000);
      for (const hook of [first, second]) {
        expect(verifyByHand(user.webhookSecret, hook)).toBe(true);
        expect(verifyConveyorSignature(user.webhookSecret, hook)).toBe(true);
        expect(verifyWithLibrary(user.webhookSecret, hook)).toEqual(JSON.parse(first.body));
      }

      const logs = await pollUntil(
        () => webhookLogs(t, user.apiKey, job.id),
        (rows) => rows.length >= 2,
      );
      const common = {
        deliveryId: first.headers['webhook-id'],
        event: 'job.done',
        payload: JSON.parse(first.body),
        durationMs: expect.any(Number),
      };
      expect(logs).toEqual([
        expect.objectContaining({
          ...common,
          attempt: 1,
          success: false,
          statusCode: 500,
          error: 'Receiver answered HTTP 500',
        }),
        expect.objectContaining({ ...common, attempt: 2, success: true, statusCode: 200, error: null }),
      ]);

      const lines = await pollUntil(
        () => messages(job.id),
        (all) => all.some((m) => m.startsWith('Webhook job.done attempt 2')),
      );
      expect(lines.filter((m) => m.startsWith('Webhook job.done'))).toEqual([
        'Webhook job.done attempt 1: failed: Receiver answered HTTP 500',
        expect.stringMatching(/^Webhook job\.done attempt 2: delivered \(HTTP 200, \d+ ms\)$/),
      ]);
      expect(receiver.on(path)).toHaveLength(2);
    });

    it(`gives up after WEBHOOK_MAX_ATTEMPTS (${MAX_ATTEMPTS}) attempts when the receiver is down`, async () => {
      const url = `http://127.0.0.1:${await freePort()}/down`;
      const job = await submitJob(t, user.apiKey, {
        type: 'sleep',
        payload: { delayMs: 10 },
        webhookUrl: url,
      });

      const lines = await pollUntil(
        () => messages(job.id),
        (all) => all.some((m) => m.includes('not delivered')),
        20_000,
      );
      expect(lines.filter((m) => m.startsWith('Webhook job.done'))).toEqual([
        expect.stringMatching(/^Webhook job\.done attempt 1: failed: .*ECONNREFUSED/),
        expect.stringMatching(/^Webhook job\.done attempt 2: failed: .*ECONNREFUSED/),
        expect.stringMatching(/^Webhook job\.done attempt 3: failed: .*ECONNREFUSED/),
        `Webhook job.done not delivered after ${MAX_ATTEMPTS} attempt(s)`,
      ]);

      const logs = await webhookLogs(t, user.apiKey, job.id);
      expect(logs.map((row) => row.attempt)).toEqual([1, 2, 3]);
      for (const row of logs) {
        expect(row).toMatchObject({
          deliveryId: logs[0].deliveryId,
          url,
          success: false,
          statusCode: null,
          error: expect.stringContaining('ECONNREFUSED'),
          durationMs: expect.any(Number),
        });
      }
      const at = logs.map((row) => Date.parse(row.createdAt));
      expect(at[1] - at[0]).toBeGreaterThanOrEqual(1900);
      expect(at[2] - at[1]).toBeGreaterThanOrEqual(3900);
    });
  });

  it('signs with the new and the previous secret after a rotation', async () => {
    const rotating = await makeUser(t);
    const res = await t
      .http()
      .post('/api/auth/webhook-secret/rotate')
      .set('X-API-Key', rotating.apiKey)
      .expect(200);
    const newSecret = res.body.data.webhookSecret as string;
    expect(newSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(newSecret).not.toBe(rotating.webhookSecret);

    const path = newPath('rotated');
    await submitJob(t, rotating.apiKey, sleepJob(path));
    const [hook] = await receiver.waitFor(path);

    const signatures = (hook.headers['webhook-signature'] as string).split(' ');
    expect(signatures).toEqual([expect.stringMatching(/^v1,/), expect.stringMatching(/^v1,/)]);
    // The first signature is the new secret's, the second the previous one's.
    expect(verifyByHand(newSecret, withSignature(hook, signatures[0]))).toBe(true);
    expect(verifyByHand(rotating.webhookSecret, withSignature(hook, signatures[0]))).toBe(false);
    expect(verifyByHand(rotating.webhookSecret, withSignature(hook, signatures[1]))).toBe(true);
    expect(verifyByHand(newSecret, withSignature(hook, signatures[1]))).toBe(false);

    const body = JSON.parse(hook.body);
    expect(verifyByHand(newSecret, hook)).toBe(true);
    expect(verifyByHand(rotating.webhookSecret, hook)).toBe(true);
    expect(verifyWithLibrary(newSecret, hook)).toEqual(body);
    expect(verifyWithLibrary(rotating.webhookSecret, hook)).toEqual(body);
    expect(() => verifyWithLibrary(user.webhookSecret, hook)).toThrow('No matching signature found');
    // The sha256= header has room for one signature: the current secret's.
    expect(verifyConveyorSignature(newSecret, hook)).toBe(true);
  });

  describe('POST /api/jobs/:id/webhook-logs/redeliver', () => {
    const redeliver = (jobId: string, apiKey = user.apiKey) =>
      t.http().post(`/api/jobs/${jobId}/webhook-logs/redeliver`).set('X-API-Key', apiKey);

    it('sends the final event again as a new delivery: new webhook-id, same body', async () => {
      const path = newPath('redeliver');
      const job = await submitJob(t, user.apiKey, sleepJob(path));
      const [first] = await receiver.waitFor(path);
      await pollUntil(
        () => webhookLogs(t, user.apiKey, job.id),
        (rows) => rows.length === 1,
      );

      const res = await redeliver(job.id).expect(202);
      expect(res.body).toMatchObject({ success: true, message: 'Redelivery queued' });
      const { deliveryId } = res.body.data as { deliveryId: string };
      expect(deliveryId).toMatch(UUID);
      expect(deliveryId).not.toBe(first.headers['webhook-id']);

      const [, second] = await receiver.waitFor(path, 2);
      expect(second.headers['webhook-id']).toBe(deliveryId);
      expect(second.headers['x-conveyor-attempt']).toBe('1');
      expect(second.body).toBe(first.body);
      expect(verifyByHand(user.webhookSecret, second)).toBe(true);
      expect(verifyWithLibrary(user.webhookSecret, second)).toEqual(JSON.parse(first.body));

      const logs = await pollUntil(
        () => webhookLogs(t, user.apiKey, job.id),
        (rows) => rows.length === 2,
      );
      expect(logs.map(({ deliveryId: id, attempt, success }) => ({ id, attempt, success }))).toEqual([
        { id: first.headers['webhook-id'], attempt: 1, success: true },
        { id: deliveryId, attempt: 1, success: true },
      ]);
    });

    it("answers 404 for another user's job, for redeliver and for the logs", async () => {
      const path = newPath('theirs');
      const job = await submitJob(t, user.apiKey, sleepJob(path));
      await receiver.waitFor(path);

      const res = await redeliver(job.id, other.apiKey).expect(404);
      expect(res.body).toMatchObject({ success: false, code: 'JOB_NOT_FOUND' });
      await t.http().get(`/api/jobs/${job.id}/webhook-logs`).set('X-API-Key', other.apiKey).expect(404);
      await t.http().get(`/api/jobs/${randomUUID()}/webhook-logs`).set('X-API-Key', user.apiKey).expect(404);
      expect(receiver.on(path)).toHaveLength(1);
    });

    it('answers 400 for a job without a webhookUrl', async () => {
      const job = await submitJob(t, user.apiKey, { type: 'sleep', payload: { delayMs: 10 } });
      await waitForJob(t, user.apiKey, job.id);
      const res = await redeliver(job.id).expect(400);
      expect(res.body).toMatchObject({ success: false, code: 'INVALID_OPERATION' });
      expect(res.body.message).toContain('webhookUrl');
    });

    it('answers 400 for a job that has not finished', async () => {
      const path = newPath('pending');
      const job = await submitJob(t, user.apiKey, sleepJob(path, { delayMs: 60_000 }));
      const res = await redeliver(job.id).expect(400);
      expect(res.body).toMatchObject({ success: false, code: 'INVALID_OPERATION' });
      expect(res.body.message).toContain('PENDING');
      expect(await webhookLogs(t, user.apiKey, job.id)).toEqual([]);
      expect(receiver.on(path)).toHaveLength(0);
    });
  });
});
