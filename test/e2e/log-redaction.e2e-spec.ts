import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { connectSocket } from '@app/testing/socket-client';
import { freePort, spawnApp } from '@app/testing/spawn-app';
import { pollUntil } from '@app/testing/eventually';
import { WebhookReceiver } from '@app/testing/webhook-receiver';
import { serverUrls, TEST_DATABASE, TEST_ENV } from '../test-env';

type Body = { data: Record<string, string> };

/**
 * The real log of a real process at `debug`, after a session that handles every kind of secret: passwords,
 * tokens (also in a socket's query string), API keys, webhook secrets and signatures, job payloads with their
 * own credentials, and a failed write whose query parameters held a new webhook secret.
 */
describe('Log redaction (e2e)', () => {
  const receiver = new WebhookReceiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.close());

  it('keeps every secret and payload out of the log, while logging each request', async () => {
    const port = await freePort();
    const app = spawnApp({
      ...TEST_ENV,
      LOG_LEVEL: 'debug',
      PORT: String(port),
      PROCESS_ROLE: 'all',
      WORKER_CONCURRENCY: '2',
      QUEUE_PREFIX: `redaction-${process.pid}`,
    });
    const db = new Client({ connectionString: `${serverUrls.pg}/${TEST_DATABASE}` });
    try {
      await app.waitForOutput(/listening on/);
      await app.waitForOutput(/Running jobs with concurrency/);
      await db.connect();
      const base = `http://127.0.0.1:${port}`;
      const call = async (method: string, path: string, auth: Record<string, string>, body?: object) => {
        const res = await fetch(base + path, {
          method,
          headers: { 'content-type': 'application/json', ...auth },
          body: body && JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Body };
      };
      const marker = (what: string) => `${what}-${randomUUID()}`;
      const password = marker('password');
      const wrongPassword = marker('wrong-password');
      const headerSecret = marker('header-secret');
      const bodySecret = marker('body-secret');

      const email = `redaction-${randomUUID()}@example.com`;
      const registered = await call('POST', '/api/auth/register', {}, { email, password });
      const login = await call('POST', '/api/auth/login', {}, { email, password });
      const bearer = { Authorization: `Bearer ${login.body.data.accessToken}` };
      expect((await call('POST', '/api/auth/login', {}, { email, password: wrongPassword })).status).toBe(
        401,
      );
      const refreshed = await call(
        'POST',
        '/api/auth/refresh',
        {},
        { refreshToken: login.body.data.refreshToken },
      );
      const key = await call('POST', '/api/auth/api-keys', bearer, { name: 'k' });
      const rotated = await call('POST', '/api/auth/webhook-secret/rotate', bearer);
      const apiKey = { 'X-API-Key': key.body.data.key };

      const socket = await connectSocket(base, { token: login.body.data.accessToken, via: 'query' });
      socket.socket.disconnect();

      const job = await call('POST', '/api/jobs', apiKey, {
        type: 'http-request',
        payload: {
          url: `${receiver.url}/called`,
          method: 'POST',
          headers: { authorization: `Bearer ${headerSecret}` },
          body: bodySecret,
        },
        webhookUrl: `${receiver.url}/hook`,
      });
      expect(job.status).toBe(201);
      const [hook] = await receiver.waitFor('/hook');
      expect(JSON.parse(hook.body)).toMatchObject({ jobId: job.body.data.id, status: 'DONE' });
      expect((await receiver.waitFor('/called'))[0].body).toBe(bodySecret);

      // A user deleted behind the API's back (the process still believes the account exists for a moment):
      // the writes that follow fail on their foreign key, holding a fresh webhook secret and a payload.
      const doomed = await call(
        'POST',
        '/api/auth/register',
        {},
        { email: `doomed-${randomUUID()}@example.com`, password },
      );
      const doomedLogin = await call(
        'POST',
        '/api/auth/login',
        {},
        { email: doomed.body.data.email, password },
      );
      const doomedBearer = { Authorization: `Bearer ${doomedLogin.body.data.accessToken}` };
      expect((await call('GET', '/api/auth/me', doomedBearer)).status).toBe(200);
      await db.query(`DELETE FROM users WHERE id = $1`, [doomed.body.data.id]);
      const afterDelete = [
        await call('POST', '/api/auth/webhook-secret/rotate', doomedBearer),
        await call('POST', '/api/jobs', doomedBearer, { type: 'sleep', payload: { delayMs: 1 } }),
        await call('POST', '/api/auth/api-keys', doomedBearer, { name: marker('key-name') }),
      ];
      expect(afterDelete.map((res) => [res.status, res.body])).toEqual(
        afterDelete.map(() => [401, expect.objectContaining({ code: 'UNAUTHORIZED' })]),
      );

      await pollUntil(
        () => Promise.resolve(app.stdout()),
        (out) => (out.match(/"statusCode":401/g) ?? []).length >= 4,
      );
      await app.stop('SIGTERM');

      const requestLines = app
        .stdout()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { req?: { url: string } })
        .filter((line) => line.req);
      expect(requestLines.map((line) => line.req!.url)).toEqual(
        expect.arrayContaining(['/api/auth/login', '/api/jobs', '/api/auth/webhook-secret/rotate']),
      );
      const everything = app.stdout() + app.stderr();
      const secrets = {
        password,
        wrongPassword,
        headerSecret,
        bodySecret,
        registrationKey: registered.body.data.apiKey,
        registrationSecret: registered.body.data.webhookSecret,
        accessToken: login.body.data.accessToken,
        refreshToken: login.body.data.refreshToken,
        refreshedAccess: refreshed.body.data.accessToken,
        refreshedRefresh: refreshed.body.data.refreshToken,
        apiKey: key.body.data.key,
        webhookSecret: rotated.body.data.webhookSecret,
        signature: String(hook.headers['webhook-signature']),
        doomedAccess: doomedLogin.body.data.accessToken,
      };
      for (const [name, secret] of Object.entries(secrets)) {
        expect(typeof secret === 'string' && secret.length > 10 ? name : `${name} missing`).toBe(name);
        expect(everything.includes(secret) ? `${name} is in the log` : name).toBe(name);
      }
      expect(everything).not.toMatch(/whsec_[A-Za-z0-9+/=]{8}/);
      expect(everything).not.toMatch(/"parameters":\s*\[/);
    } finally {
      await app.stop();
      await db.end();
    }
  });
});
