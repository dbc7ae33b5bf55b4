import type { RealtimeJob } from '@app/contracts/realtime-events';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { JobBody, submitJob } from '@app/testing/jobs';
import { connectSocket, RecordingSocket, SocketOptions } from '@app/testing/socket-client';
import { freePort, spawnApp, SpawnedApp } from '@app/testing/spawn-app';

/**
 * Realtime across real processes sharing one Redis (same QUEUE_PREFIX, hence the same Socket.io key): the API
 * in this process (PROCESS_ROLE=api), the worker as a child process, and a second API instance as another
 * child. Jobs run only in the worker child, so every job:* event crosses processes through the Redis
 * emitter; a client on the second API instance gets the events of a job submitted through the first through
 * the Redis adapter.
 */
describe('Realtime across processes (e2e)', () => {
  let t: TestApp;
  let owner: TestUser;
  let stranger: TestUser;
  let secondUrl: string;
  const children: SpawnedApp[] = [];
  const clients: RecordingSocket[] = [];

  const childEnv = (role: 'api' | 'worker') => ({
    PROCESS_ROLE: role,
    LOG_LEVEL: 'info',
    QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
  });
  const connect = async (url: string, options: SocketOptions) => {
    const client = await connectSocket(url, options);
    clients.push(client);
    return client;
  };
  /** Submitted through the first API to start in an hour: nothing runs before the test subscribes. */
  const held = (payload: Record<string, unknown>) =>
    submitJob(t, owner.apiKey, { type: 'sleep', payload, delayMs: 3_600_000, maxRetries: 0 });
  const release = (job: JobBody) =>
    t
      .http()
      .patch(`/api/jobs/${job.id}`)
      .set('X-API-Key', owner.apiKey)
      .send({ runAt: new Date().toISOString() })
      .expect(200);

  beforeAll(async () => {
    t = await createTestApp({ PROCESS_ROLE: 'api' });
    [owner, stranger] = await Promise.all([makeUser(t), makeUser(t)]);
    const port = await freePort();
    const worker = spawnApp(childEnv('worker'));
    const secondApi = spawnApp({ ...childEnv('api'), PORT: String(port) });
    children.push(worker, secondApi);
    await Promise.all([
      worker.waitForOutput(/Running jobs with concurrency/, 60_000),
      secondApi.waitForOutput(/listening on/, 60_000),
    ]);
    secondUrl = `http://127.0.0.1:${port}`;
  }, 90_000);
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await Promise.all(children.map((c) => c.stop('SIGTERM')));
    await t?.close();
  }, 30_000);

  async function expectProcessingProgressDone(client: RecordingSocket, job: JobBody) {
    await client.next('job:done', (p) => p.jobId === job.id, 45_000);
    expect(client.jobEvents(job.id)).toEqual([
      { event: 'job:processing', payload: { jobId: job.id, status: 'PROCESSING', attempt: 1 } },
      { event: 'job:progress', payload: { jobId: job.id, progress: 50 } },
      { event: 'job:done', payload: { jobId: job.id, status: 'DONE', result: { sleptMs: 400 } } },
    ]);
  }

  it('API and worker in separate processes: a subscribed client receives processing → progress → done in order', async () => {
    const client = await connect(t.url, { token: owner.accessToken });
    const job = await held({ delayMs: 400 });
    expect(await client.subscribe(job.id)).toEqual({ success: true });
    await release(job);

    await expectProcessingProgressDone(client, job);
    const done = await client.next('job:updated', (j) => j.id === job.id && j.status === 'DONE');
    const fetched = await t.http().get(`/api/jobs/${job.id}`).set('X-API-Key', owner.apiKey).expect(200);
    // The job as GET shows it, without `queue` (GET's live place in line, null once finished).
    const { queue, ...view } = fetched.body.data as RealtimeJob & { queue: unknown };
    expect(queue).toBeNull();
    expect(done).toEqual(view);
  });

  it('two API instances: a client on the second one follows a job submitted through the first', async () => {
    const onSecond = await connect(secondUrl, { token: owner.apiKey, via: 'query' });
    const strangerOnSecond = await connect(secondUrl, { token: stranger.accessToken });
    expect(onSecond.all('connected')).toEqual([{ message: expect.any(String), userId: owner.id }]);
    const job = await held({ delayMs: 400 });
    // The second instance checks ownership against the shared database.
    expect(await onSecond.subscribe(job.id)).toEqual({ success: true });
    expect(await strangerOnSecond.subscribe(job.id)).toEqual({ success: false, message: 'Job not found' });
    await release(job);

    await expectProcessingProgressDone(onSecond, job);
    // job:updated: PENDING from the submission in the first API process, the rest from the worker process.
    await onSecond.next('job:updated', (j) => j.id === job.id && j.status === 'PENDING');
    const done = await onSecond.next('job:updated', (j) => j.id === job.id && j.status === 'DONE');
    expect(done).toMatchObject({ id: job.id, status: 'DONE', result: { sleptMs: 400 }, progress: 100 });

    // The second instance answers ping too; its other user heard nothing of the job.
    strangerOnSecond.socket.emit('ping');
    await strangerOnSecond.next('pong');
    await new Promise((resolve) => setTimeout(resolve, 300)); // short and bounded: proving an absence
    expect(strangerOnSecond.about(job.id)).toEqual([]);
  });
});
