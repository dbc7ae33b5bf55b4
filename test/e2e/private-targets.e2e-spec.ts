import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { jobLogs, submitJob, waitForJob } from '@app/testing/jobs';
import { WebhookReceiver, webhookLogs } from '@app/testing/webhook-receiver';
import { pollUntil } from '@app/testing/eventually';

/**
 * With ALLOW_PRIVATE_NETWORK_TARGETS=false (its own file: the environment is read once per module registry),
 * a private target — `webhookUrl`, `http-request`'s `url`, `resize-image`'s `imageUrl` — is refused at
 * submission by its form, and when called by the address it resolves to. For webhooks: the job's webhook_url is pointed at a loopback receiver in PostgreSQL while the job runs, bypassing the
 * submission check, and the delivery is refused once, never retried, and never reaches the receiver.
 */
describe('Private targets (e2e)', () => {
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let db: DataSource;
  let user: TestUser;
  let port: string;

  beforeAll(async () => {
    await receiver.start();
    port = new URL(receiver.url).port;
    t = await createTestApp({
      PROCESS_ROLE: 'all',
      ALLOW_PRIVATE_NETWORK_TARGETS: 'false',
      WEBHOOK_MAX_ATTEMPTS: '3',
    });
    db = t.app.get(DataSource);
    user = await makeUser(t);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.close();
  });

  it.each([
    'http://127.0.0.1:PORT/hook',
    'http://localhost:PORT/hook',
    'http://[::1]:PORT/hook',
    'http://[::127.0.0.1]:PORT/hook', // IPv4-compatible IPv6 (::/96)
    'http://10.1.2.3/',
  ])('answers 400 on webhookUrl for %s at submission', async (template) => {
    const res = await t
      .http()
      .post('/api/jobs')
      .set('X-API-Key', user.apiKey)
      .send({ type: 'sleep', payload: { delayMs: 10 }, webhookUrl: template.replace('PORT', port) })
      .expect(400);
    expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
    expect(res.body.errors.webhookUrl).toEqual([
      'webhookUrl must not point to a private, loopback or link-local address',
    ]);
  });

  it.each([
    ['an IP literal', '127.0.0.1', /Refused to connect to 127\.0\.0\.1: private/],
    [
      'a name that resolves to loopback',
      'localhost',
      /Refused to connect to localhost \((127\.0\.0\.1|::1)\): private/,
    ],
  ])('refuses at delivery %s, once, without retrying', async (_, host, refusal) => {
    const path = `/hook-${host}`;
    const job = await submitJob(t, user.apiKey, {
      type: 'sleep',
      payload: { delayMs: 1000 },
      maxRetries: 0,
      webhookUrl: 'http://example.com/hook',
    });
    await waitForJob(t, user.apiKey, job.id, (j) => j.status === 'PROCESSING');
    const target = `http://${host}:${port}${path}`;
    const [, updated] = await db.query<[unknown[], number]>(
      `UPDATE jobs SET webhook_url = $2 WHERE id = $1 AND status = 'PROCESSING'`,
      [job.id, target],
    );
    expect(updated).toBe(1);

    // The final log line is written only when the delivery gives up: after it, nothing is retried.
    const lines = await pollUntil(
      async () => (await jobLogs(t, user.apiKey, job.id)).map((line) => line.message),
      (all) => all.some((m) => m.includes('not delivered')),
    );
    expect(lines.filter((m) => m.startsWith('Webhook job.done'))).toEqual([
      expect.stringMatching(new RegExp(`^Webhook job\\.done attempt 1: failed: ${refusal.source}`)),
      'Webhook job.done not delivered after 1 attempt(s)',
    ]);
    const logs = await webhookLogs(t, user.apiKey, job.id);
    expect(logs).toEqual([
      expect.objectContaining({
        url: target,
        event: 'job.done',
        attempt: 1,
        success: false,
        statusCode: null,
        error: expect.stringMatching(refusal),
      }),
    ]);
    expect(receiver.on(path)).toHaveLength(0);
    expect(receiver.received).toHaveLength(0);
  });

  it.each([
    ['http-request', 'url', (url: string) => ({ url })],
    ['resize-image', 'imageUrl', (imageUrl: string) => ({ imageUrl, width: 10, height: 10 })],
  ] as const)('answers 400 on %s payload.%s for a literal private host', async (type, field, payload) => {
    for (const url of ['http://[::127.0.0.1]:PORT/x', 'http://127.0.0.1:PORT/x', 'http://localhost:PORT/x']) {
      const res = await t
        .http()
        .post('/api/jobs')
        .set('X-API-Key', user.apiKey)
        .send({ type, payload: payload(url.replace('PORT', port)) })
        .expect(400);
      expect(res.body.errors).toEqual({
        [`payload.${field}`]: [
          `payload.${field} must not point to a private, loopback or link-local address`,
        ],
      });
    }
    expect(receiver.received).toHaveLength(0);
  });

  it('fails an http-request whose target turns out private when called, once, without reaching it', async () => {
    const job = await submitJob(t, user.apiKey, {
      type: 'http-request',
      payload: { url: 'http://example.com/' },
      delayMs: 1500,
    });
    // Past the submission check, as a name resolving to the address would be: the row is changed in place.
    const [, updated] = await db.query<[unknown[], number]>(
      `UPDATE jobs SET payload = $2 WHERE id = $1 AND status = 'PENDING'`,
      [job.id, JSON.stringify({ url: `http://[::127.0.0.1]:${port}/ipv4-compatible` })],
    );
    expect(updated).toBe(1);
    const done = await waitForJob(t, user.apiKey, job.id, (j) => j.status === 'FAILED');
    expect(done).toMatchObject({
      attempts: 1,
      error: 'Refused to connect to ::7f00:1: private, loopback or link-local addresses are not allowed',
    });
    expect(receiver.on('/ipv4-compatible')).toHaveLength(0);
  });
});
