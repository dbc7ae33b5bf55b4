import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import type { RealtimeJob } from '@app/contracts/realtime-events';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { bearer, makeUser, TestUser } from '@app/testing/factories';
import { JobBody, submitJob } from '@app/testing/jobs';
import { connectRefused, connectSocket, RecordingSocket, SocketOptions } from '@app/testing/socket-client';
import { TEST_ADMIN, TEST_ENV } from '../test-env';

/**
 * The Socket.io gateway with a real socket.io-client, API and worker in one process (PROCESS_ROLE=all; the
 * events still go through the Redis emitter and adapter). A job to watch is submitted "held" (start an hour
 * from now), subscribed to, then released with PATCH runAt=now, so no event can come before the subscription.
 */
describe('Realtime (e2e)', () => {
  let t: TestApp;
  let owner: TestUser;
  let stranger: TestUser;
  let adminToken: string;
  const clients: RecordingSocket[] = [];

  const connect = async (options: SocketOptions) => {
    const client = await connectSocket(t.url, options);
    clients.push(client);
    return client;
  };
  const held = (payload: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    submitJob(t, owner.apiKey, { type: 'sleep', payload, delayMs: 3_600_000, ...extra });
  const release = (job: JobBody) =>
    t
      .http()
      .patch(`/api/jobs/${job.id}`)
      .set('X-API-Key', owner.apiKey)
      .send({ runAt: new Date().toISOString() })
      .expect(200);
  const getJob = async (id: string) =>
    (await t.http().get(`/api/jobs/${id}`).set('X-API-Key', owner.apiKey).expect(200)).body
      .data as RealtimeJob;
  /** A subscribed owner's client, the job released. */
  async function watch(payload: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const client = await connect({ token: owner.accessToken });
    const job = await held(payload, extra);
    expect(await client.subscribe(job.id)).toEqual({ success: true });
    await client.next('subscribed', (p) => p.jobId === job.id);
    await release(job);
    return { client, job };
  }
  const names = (client: RecordingSocket, jobId: string) => client.jobEvents(jobId).map((e) => e.event);
  /** Short and bounded: lets anything that was going to arrive arrive, before asserting that nothing did. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  beforeAll(async () => {
    t = await createTestApp({ PROCESS_ROLE: 'all' });
    [owner, stranger] = await Promise.all([makeUser(t), makeUser(t)]);
    const login = await t.http().post('/api/auth/login').send(TEST_ADMIN).expect(200);
    adminToken = login.body.data.accessToken as string;
  });
  afterEach(() => {
    clients.splice(0).forEach((c) => c.close());
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await t?.close();
  });

  describe('credentials that end', () => {
    const jwt = new JwtService();

    it('disconnects a socket when its access token expires, saying why', async () => {
      const token = await jwt.signAsync(
        { sub: owner.id, email: owner.email, role: 'user', typ: 'access' },
        { secret: TEST_ENV.JWT_ACCESS_SECRET, expiresIn: 2 },
      );
      const client = await connect({ token });
      await expect(client.next('error', (e) => e.message === 'Token expired', 5_000)).resolves.toBeTruthy();
      await eventuallyDisconnected(client);
    });

    it('refuses subscribe and disconnects once the API key is revoked', async () => {
      const created = await t
        .http()
        .post('/api/auth/api-keys')
        .set(bearer(owner.accessToken))
        .send({ name: 'socket key' })
        .expect(201);
      const client = await connect({ token: created.body.data.key });
      const job = await held({ delayMs: 1 });
      await t
        .http()
        .delete(`/api/auth/api-keys/${created.body.data.id}`)
        .set(bearer(owner.accessToken))
        .expect(200);
      client.socket.emit('subscribe', { jobId: job.id });
      await expect(
        client.next('error', (e) => e.message === 'Credentials revoked', 5_000),
      ).resolves.toBeTruthy();
      await eventuallyDisconnected(client);
    });
  });

  async function eventuallyDisconnected(client: RecordingSocket) {
    for (let i = 0; i < 50 && client.socket.connected; i++) await new Promise((r) => setTimeout(r, 100));
    expect(client.socket.connected).toBe(false);
  }

  describe('handshake', () => {
    const jwt = new JwtService();
    const claims = () => ({ sub: owner.id, email: owner.email, role: 'user', typ: 'access' });
    const refusals: [string, () => SocketOptions | Promise<SocketOptions>][] = [
      ['no token', () => ({})],
      ['an empty token', () => ({ token: '' })],
      ['a malformed token', () => ({ token: 'not-a-token' })],
      ['a malformed token in the query', () => ({ token: 'not-a-token', via: 'query' })],
      ['an unknown API key', () => ({ token: `ck_${randomUUID().replaceAll('-', '')}` })],
      ['a refresh token', () => ({ token: owner.refreshToken })],
      [
        'an expired access token',
        async () => ({
          token: await jwt.signAsync(
            { ...claims(), exp: Math.floor(Date.now() / 1000) - 60 },
            { secret: TEST_ENV.JWT_ACCESS_SECRET },
          ),
        }),
      ],
      [
        'an access token signed with another secret',
        async () => ({
          token: await jwt.signAsync(
            { ...claims(), role: 'admin' },
            { secret: 'not-the-access-secret-0123456789', expiresIn: 600 },
          ),
        }),
      ],
      [
        'a revoked API key',
        async () => {
          const created = await t
            .http()
            .post('/api/auth/api-keys')
            .set(bearer(owner.accessToken))
            .send({ name: 'to-revoke' })
            .expect(201);
          const { id, key } = created.body.data as { id: string; key: string };
          // The key works until it is revoked.
          (await connect({ token: key })).close();
          await t.http().delete(`/api/auth/api-keys/${id}`).set(bearer(owner.accessToken)).expect(200);
          return { token: key, via: 'query' };
        },
      ],
    ];

    it.each(refusals)('refuses %s: connect_error "Unauthorized", never connected', async (_, options) => {
      const refused = await connectRefused(t.url, await options());
      expect(refused).toEqual({ message: 'Unauthorized', everConnected: false, events: [] });
    });

    it.each([
      ['an access token', 'auth'],
      ['an access token', 'query'],
      ['an API key', 'auth'],
      ['an API key', 'query'],
    ] as const)('accepts %s in %s and greets with connected {message, userId}', async (kind, via) => {
      const token = kind === 'an API key' ? owner.apiKey : owner.accessToken;
      const client = await connect({ token, via });
      expect(client.socket.connected).toBe(true);
      expect(client.all('connected')).toEqual([{ message: expect.any(String), userId: owner.id }]);
    });

    it('answers ping with pong {timestamp} (ISO-8601, now)', async () => {
      const client = await connect({ token: owner.apiKey });
      const before = Date.now();
      client.socket.emit('ping');
      const { timestamp } = await client.next('pong');
      expect(new Date(timestamp).toISOString()).toBe(timestamp);
      expect(Date.parse(timestamp)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(timestamp)).toBeLessThanOrEqual(Date.now() + 1000);
    });
  });

  describe('job events', () => {
    it("sends processing → progress → done in order to the job's subscriber, job:updated to its owner and admins, nothing to others", async () => {
      const otherClient = await connect({ token: stranger.accessToken });
      const adminClient = await connect({ token: adminToken });
      const ownerByKey = await connect({ token: owner.apiKey, via: 'query' }); // not subscribed
      const { client, job } = await watch({ delayMs: 400 });

      await client.next('job:done', (p) => p.jobId === job.id);
      expect(client.jobEvents(job.id)).toEqual([
        { event: 'job:processing', payload: { jobId: job.id, status: 'PROCESSING', attempt: 1 } },
        { event: 'job:progress', payload: { jobId: job.id, progress: 50 } },
        { event: 'job:done', payload: { jobId: job.id, status: 'DONE', result: { sleptMs: 400 } } },
      ]);

      // job:updated carries the whole job, as GET /api/jobs/:id shows it, for each change.
      const done = await client.next('job:updated', (j) => j.id === job.id && j.status === 'DONE');
      // …without `queue`, the live place in line that only GET computes (null once the job has finished).
      const { queue, ...fetched } = (await getJob(job.id)) as RealtimeJob & { queue: unknown };
      expect(queue).toBeNull();
      expect(done).toEqual(fetched);
      const updates = client.all('job:updated').filter((j) => j.id === job.id);
      expect(updates.map((j) => j.status).filter((s, i, all) => s !== all[i - 1])).toEqual([
        'PENDING',
        'PROCESSING',
        'DONE',
      ]);
      expect(updates).toContainEqual(expect.objectContaining({ status: 'PROCESSING', progress: 50 }));

      // Another socket of the owner, not subscribed: job:updated only.
      await ownerByKey.next('job:updated', (j) => j.id === job.id && j.status === 'DONE');
      expect(ownerByKey.jobEvents(job.id)).toEqual([]);
      // An admin: everyone's job:updated.
      expect(await adminClient.next('job:updated', (j) => j.id === job.id && j.status === 'DONE')).toEqual(
        done,
      );
      expect(adminClient.jobEvents(job.id)).toEqual([]);

      await settle();
      expect(otherClient.about(job.id)).toEqual([]);
      expect(otherClient.all('job:updated')).toEqual([]);
    });

    it('sends job:retrying with the error and nextRetryAt, then the next attempt', async () => {
      const { client, job } = await watch({ delayMs: 0, failTimes: 1 }, { maxRetries: 1 });
      await client.next('job:done', (p) => p.jobId === job.id, 45_000);
      expect(names(client, job.id)).toEqual(['job:processing', 'job:retrying', 'job:processing', 'job:done']);
      const [first, retrying, second] = client.jobEvents(job.id).map((e) => e.payload);
      expect(first).toEqual({ jobId: job.id, status: 'PROCESSING', attempt: 1 });
      expect(retrying).toEqual({
        jobId: job.id,
        status: 'PENDING',
        attempt: 1,
        error: 'Simulated failure (attempt 1 of failTimes 1)',
        nextRetryAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      const { nextRetryAt } = retrying as { nextRetryAt: string };
      expect(new Date(nextRetryAt).toISOString()).toBe(nextRetryAt);
      expect(second).toEqual({ jobId: job.id, status: 'PROCESSING', attempt: 2 });
    });

    it('sends job:failed with the error', async () => {
      const { client, job } = await watch({ delayMs: 0, forceFail: true }, { maxRetries: 0 });
      const failed = await client.next('job:failed', (p) => p.jobId === job.id);
      expect(failed).toEqual({
        jobId: job.id,
        status: 'FAILED',
        error: 'Simulated failure (attempt 1, forceFail)',
      });
      expect(names(client, job.id)).toEqual(['job:processing', 'job:failed']);
      expect((await getJob(job.id)).error).toBe(failed.error);
    });

    it('sends job:cancelled when a running job is cancelled', async () => {
      const { client, job } = await watch({ delayMs: 30_000 });
      await client.next('job:processing', (p) => p.jobId === job.id);
      await t.http().delete(`/api/jobs/${job.id}`).set('X-API-Key', owner.apiKey).expect(200);
      expect(await client.next('job:cancelled', (p) => p.jobId === job.id)).toEqual({
        jobId: job.id,
        status: 'CANCELLED',
      });
      await client.next('job:updated', (j) => j.id === job.id && j.status === 'CANCELLED');
      expect(names(client, job.id)).toEqual(['job:processing', 'job:cancelled']);
    });
  });

  describe('subscriptions', () => {
    it.each([
      ["another user's job", (job: JobBody) => job.id],
      ['a job that does not exist', () => randomUUID()],
      ['a jobId that is not a UUID', () => 'not-a-uuid'],
    ])('refuses a subscription to %s: ack {success: false} and error {message, jobId}', async (_, pick) => {
      const jobId = pick(await held({ delayMs: 0 }));
      const client = await connect({ token: stranger.accessToken });

      expect(await client.subscribe(jobId)).toEqual({ success: false, message: 'Job not found' });
      expect(await client.next('error')).toEqual({ message: 'Job not found', jobId });
      expect(client.all('subscribed')).toEqual([]);
    });

    it("lets no other user's subscription through: the owner's job runs without them hearing of it", async () => {
      const intruder = await connect({ token: stranger.apiKey });
      const { client, job } = await watch({ delayMs: 200 });
      expect(await intruder.subscribe(job.id)).toEqual({ success: false, message: 'Job not found' });
      await client.next('job:done', (p) => p.jobId === job.id);
      await client.next('job:updated', (j) => j.id === job.id && j.status === 'DONE');
      await settle();
      expect(intruder.about(job.id)).toEqual([]);
    });

    it('unsubscribe: unsubscribed {jobId}, then no job:* events for it (job:updated still comes)', async () => {
      const client = await connect({ token: owner.accessToken });
      const job = await held({ delayMs: 200 });
      expect(await client.subscribe(job.id)).toEqual({ success: true });
      expect(await client.unsubscribe(job.id)).toEqual({ success: true });
      expect(client.all('subscribed')).toEqual([{ jobId: job.id }]);
      expect(await client.next('unsubscribed')).toEqual({ jobId: job.id });

      await release(job);
      // job:updated DONE leaves after job:done, through the same Redis connection.
      await client.next('job:updated', (j) => j.id === job.id && j.status === 'DONE');
      await settle();
      expect(client.jobEvents(job.id)).toEqual([]);
    });
  });
});
