import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { TestApp } from '@app/testing/create-test-app';
import { eventually } from '@app/testing/eventually';
import { bearer, makeUser, TestUser } from '@app/testing/factories';
import { JobBody, submitJob, waitForJob } from '@app/testing/jobs';
import { connectSocket, RecordingSocket, SocketOptions } from '@app/testing/socket-client';
import { freePort, spawnApp, SpawnedApp } from '@app/testing/spawn-app';
import { TEST_ADMIN, TEST_ENV } from '../test-env';

const REVOKED = 'Credentials revoked';

/**
 * Revoking credentials through REST on API instance A ends the sockets that used them on API instance B
 * (the revocation travels through Redis), and only those: each test keeps another socket of the same user
 * open and checks that it still answers. Three real processes on one Redis and database: A (whose access
 * tokens live 3 s, for the expiry test), B (default lifetime: every other token comes from B) and a worker
 * (for a deleted user's running job).
 */
describe('Sockets end when their credentials are revoked, on any API instance (e2e)', () => {
  const queuePrefix = `conveyor-test-${randomUUID().slice(0, 8)}`;
  const children: SpawnedApp[] = [];
  const clients: RecordingSocket[] = [];
  let a: TestApp;
  let b: TestApp;
  let worker: SpawnedApp;
  let adminToken: string;

  /** A spawned API instance, with what the factories need (`http`, `url`). */
  async function startApi(env: Record<string, string> = {}): Promise<TestApp> {
    const port = await freePort();
    const child = spawnApp({
      PROCESS_ROLE: 'api',
      LOG_LEVEL: 'info',
      QUEUE_PREFIX: queuePrefix,
      PORT: String(port),
      ...env,
    });
    children.push(child);
    await child.waitForOutput(/listening on/, 90_000);
    const url = `http://127.0.0.1:${port}`;
    return { url, http: () => request(url), close: () => child.stop().then(() => undefined) } as TestApp;
  }
  const onB = async (options: SocketOptions) => {
    const client = await connectSocket(b.url, options);
    clients.push(client);
    return client;
  };
  const login = async (on: TestApp, user: TestUser) =>
    (await on.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(200))
      .body.data as { accessToken: string; refreshToken: string };
  const createKey = async (user: TestUser) =>
    (
      await b
        .http()
        .post('/api/auth/api-keys')
        .set(bearer(user.accessToken))
        .send({ name: 'socket key' })
        .expect(201)
    ).body.data as { id: string; key: string };

  /** The socket is told why, then disconnected by the server. */
  async function expectEnded(client: RecordingSocket, reason = REVOKED) {
    await client.next('error', (e) => e.message === reason, 20_000);
    await eventually(
      () =>
        client.socket.connected ? Promise.reject(new Error('socket still connected')) : Promise.resolve(),
      20_000,
    );
  }
  /** Still connected and served: a ping is answered, and no error was ever sent to it. */
  async function expectAlive(client: RecordingSocket) {
    const pongs = client.all('pong').length;
    client.socket.emit('ping');
    await client.waitFor(() => client.all('pong').length > pongs, 10_000, 'pong');
    expect(client.socket.connected).toBe(true);
    expect(client.all('error')).toEqual([]);
  }

  beforeAll(async () => {
    [a, b] = await Promise.all([startApi({ JWT_ACCESS_EXPIRES_IN: '3s' }), startApi()]);
    worker = spawnApp({ PROCESS_ROLE: 'worker', QUEUE_PREFIX: queuePrefix, LOG_LEVEL: 'info' });
    children.push(worker);
    await worker.waitForOutput(/Running jobs with concurrency/, 90_000);
    adminToken = (await b.http().post('/api/auth/login').send(TEST_ADMIN).expect(200)).body.data
      .accessToken as string;
  }, 180_000);
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await Promise.all(children.map((c) => c.stop('SIGTERM')));
  }, 30_000);

  it('API key revoked on A: the sockets on B authenticated with that key end, the others stay', async () => {
    const user = await makeUser(b);
    const [revoked, kept] = await Promise.all([createKey(user), createKey(user)]);
    const withRevoked = await onB({ token: revoked.key });
    const withRevokedToo = await onB({ token: revoked.key, via: 'query' });
    const withKept = await onB({ token: kept.key });
    const withToken = await onB({ token: user.accessToken });

    await a.http().delete(`/api/auth/api-keys/${revoked.id}`).set(bearer(user.accessToken)).expect(200);

    await expectEnded(withRevoked);
    await expectEnded(withRevokedToo);
    await expectAlive(withKept);
    await expectAlive(withToken);
  });

  it("logout on A: the sockets on B of that login's access tokens end, another login's stay", async () => {
    const user = await makeUser(b);
    const [first, second] = [await login(b, user), await login(b, user)];
    const ofFirst = await onB({ token: first.accessToken });
    const ofSecond = await onB({ token: second.accessToken });
    const withKey = await onB({ token: user.apiKey });

    await a.http().post('/api/auth/logout').send({ refreshToken: first.refreshToken }).expect(200);

    await expectEnded(ofFirst);
    await expectAlive(ofSecond);
    await expectAlive(withKey);
  });

  it('refresh-token reuse on A: every socket on B of that login ends, also of its rotated token', async () => {
    const user = await makeUser(b);
    const stolen = await login(b, user);
    const rotated = (await b.http().post('/api/auth/refresh').send({ refreshToken: stolen.refreshToken }))
      .body.data as { accessToken: string };
    const ofStolen = await onB({ token: stolen.accessToken });
    const ofRotated = await onB({ token: rotated.accessToken });
    const ofOtherLogin = await onB({ token: user.accessToken });

    // The spent token presented again: the family is revoked.
    await a.http().post('/api/auth/refresh').send({ refreshToken: stolen.refreshToken }).expect(401);

    await expectEnded(ofStolen);
    await expectEnded(ofRotated);
    await expectAlive(ofOtherLogin);
  });

  it('user deleted on A: all their sockets on B end, their token answers 401 on both instances at once, their jobs and files go quietly', async () => {
    const [doomed, bystander] = await Promise.all([makeUser(b), makeUser(b)]);
    // A finished job with a file, and one running when the user goes.
    const exported = await submitJob(b, doomed.apiKey, {
      type: 'csv-export',
      payload: { data: [{ a: 1 }] },
    });
    const done = await waitForJob(b, doomed.apiKey, exported.id);
    expect(done.status).toBe('DONE');
    const files = join(TEST_ENV.ARTIFACTS_DIR, exported.id);
    expect(existsSync(files)).toBe(true);
    const running = await submitJob(b, doomed.apiKey, { type: 'sleep', payload: { delayMs: 6000 } });
    await waitForJob(b, doomed.apiKey, running.id, (job: JobBody) => job.status === 'PROCESSING');

    const viaToken = await onB({ token: doomed.accessToken });
    const viaKey = await onB({ token: doomed.apiKey });
    const other = await onB({ token: bystander.accessToken });
    // Both instances have just seen the user exist (LiveUsers caches that for 2 s).
    await Promise.all(
      [a, b].map((on) => on.http().get('/api/auth/me').set(bearer(doomed.accessToken)).expect(200)),
    );

    const deleted = await a
      .http()
      .delete(`/api/admin/users/${doomed.id}`)
      .set(bearer(adminToken))
      .expect(204);
    expect(deleted.text).toBe('');

    await Promise.all([expectEnded(viaToken), expectEnded(viaKey)]);
    // Within the 2 s the cache would have vouched for the user: every instance forgot them at the deletion.
    const answers = await Promise.all(
      [a, b].flatMap((on) => [
        on.http().get('/api/auth/me').set(bearer(doomed.accessToken)),
        on
          .http()
          .post('/api/jobs')
          .set(bearer(doomed.accessToken))
          .send({ type: 'sleep', payload: { delayMs: 0 } }),
        on.http().get('/api/jobs').set('X-API-Key', doomed.apiKey),
      ]),
    );
    expect(answers.map((res) => res.status)).toEqual([401, 401, 401, 401, 401, 401]);
    await expectAlive(other);
    const left = await b
      .http()
      .get(`/api/admin/jobs?userId=${doomed.id}`)
      .set(bearer(adminToken))
      .expect(200);
    expect(left.body.data).toEqual([]);

    // The files are removed; the running job's queue entry ends without harm: the worker goes on.
    await eventually(
      () => (existsSync(files) ? Promise.reject(new Error(`${files} still exists`)) : Promise.resolve()),
      20_000,
    );
    const next = await submitJob(b, bystander.apiKey, { type: 'sleep', payload: { delayMs: 6000 } });
    expect((await waitForJob(b, bystander.apiKey, next.id)).status).toBe('DONE');
    expect(worker.child.exitCode).toBeNull();
    // Nothing went wrong in the worker: no error at all, no warning about the deleted job.
    const complaints = worker
      .stdout()
      .split('\n')
      .filter(
        (line) => /"level":(50|60)/.test(line) || (/"level":40/.test(line) && line.includes(running.id)),
      );
    expect(complaints).toEqual([]);
  });

  it('DELETE /api/admin/users/:id: 404 for an unknown user, 400 for oneself, 403 for a non-admin', async () => {
    const user = await makeUser(b);
    const me = (await b.http().get('/api/auth/me').set(bearer(adminToken)).expect(200)).body.data as {
      id: string;
    };
    const self = await a.http().delete(`/api/admin/users/${me.id}`).set(bearer(adminToken)).expect(400);
    expect(self.body).toMatchObject({ success: false, errors: { id: [expect.any(String)] } });
    for (const id of [randomUUID(), 'not-a-uuid'])
      await a.http().delete(`/api/admin/users/${id}`).set(bearer(adminToken)).expect(404);
    await a.http().delete(`/api/admin/users/${me.id}`).set(bearer(user.accessToken)).expect(403);
    await a.http().get('/api/auth/me').set(bearer(adminToken)).expect(200);
  });

  it("a socket ends at its access token's expiry (JWT_ACCESS_EXPIRES_IN=3s on A), on another instance too", async () => {
    const user = await makeUser(b);
    const shortLived = await login(a, user);
    const expiring = await onB({ token: shortLived.accessToken });
    const lasting = await onB({ token: user.accessToken });

    await expectEnded(expiring, 'Token expired');
    await expectAlive(lasting);
  });
});
