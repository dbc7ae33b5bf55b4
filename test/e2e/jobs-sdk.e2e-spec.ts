import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { Client } from '@app/sdk/client';
import {
  authLogin,
  authMe,
  authRegister,
  type ErrorResponseDto,
  jobsArtifact,
  jobsCancel,
  jobsGet,
  jobsList,
  jobsLogs,
  jobsRetry,
  jobsStats,
  jobsSubmit,
  jobsSubmitBatch,
  jobsUpdate,
  type JobResponseDto,
  type JobStatus,
  type SubmitJobDto,
  webhooksList,
} from '@app/sdk/index';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { pollUntil } from '@app/testing/eventually';
import { sdkHarness, type SdkHarness } from '@app/testing/sdk-client';

const TERMINAL: JobStatus[] = ['DONE', 'FAILED', 'CANCELLED'];

/**
 * The jobs API driven only through the generated SDK (libs/sdk), with the workers in-process: typed calls,
 * typed success envelopes and typed error envelopes. Every response the SDK sees is also checked against the
 * document it was generated from (status, media type, schema, no undocumented fields): a mismatch is a bug
 * in the Swagger decorators.
 */
describe('Jobs through the generated SDK (e2e)', () => {
  let t: TestApp;
  let sdk: SdkHarness;
  /** Signed in with the API key from registration. */
  let client: Client;
  /** Signed in with the access token from login. */
  let bearerClient: Client;
  let userId: string;

  beforeAll(async () => {
    t = await createTestApp({ PROCESS_ROLE: 'all' });
    sdk = sdkHarness(t.url);
    const anonymous = sdk.client();
    const email = `sdk-${randomUUID().slice(0, 8)}@example.com`;
    const password = 'password-123';

    const registered = await authRegister({
      client: anonymous,
      body: { email, password },
      throwOnError: true,
    });
    expect(registered.response.status).toBe(201);
    expect(registered.data).toMatchObject({ success: true, data: { email, role: 'user' } });
    userId = registered.data.data.id;
    client = sdk.client({ apiKey: registered.data.data.apiKey });

    const login = await authLogin({ client: anonymous, body: { email, password }, throwOnError: true });
    expect(login.data.data.tokenType).toBe('Bearer');
    bearerClient = sdk.client({ accessToken: login.data.data.accessToken });
    const me = await authMe({ client: bearerClient, throwOnError: true });
    expect(me.data.data).toMatchObject({ id: userId, email });
  });
  afterAll(() => t?.close());

  afterEach(() => {
    // Every response of the test matched the document.
    expect(sdk.violations.splice(0)).toEqual([]);
  });

  async function submit(body: SubmitJobDto, as: Client = client): Promise<JobResponseDto> {
    const { data, response } = await jobsSubmit({ client: as, body, throwOnError: true });
    expect(response?.status).toBe(201);
    return data.data;
  }

  /** Polls GET /api/jobs/{id} through the SDK until `until` holds (default: a terminal status). */
  const waitFor = (
    id: string,
    until: (job: JobResponseDto) => boolean = (job) => TERMINAL.includes(job.status),
  ): Promise<JobResponseDto> =>
    pollUntil(
      async () => (await jobsGet({ client, path: { id }, throwOnError: true })).data.data,
      until,
      30_000,
      (last) => `job ${id} stuck: ${JSON.stringify(last)}`,
    );

  it('submits a sleep job, which runs to DONE with its result', async () => {
    const job = await submit({ type: 'sleep', payload: { delayMs: 20 }, priority: 'high' });
    expect(job).toMatchObject({ userId, type: 'sleep', status: 'PENDING', priority: 'high', attempts: 0 });
    const done = await waitFor(job.id);
    expect(done).toMatchObject({ status: 'DONE', attempts: 1, progress: 100, result: { sleptMs: 20 } });
    expect(done.finishedAt).not.toBeNull();
  });

  it('runs data-processing and csv-export, and serves the CSV artifact', async () => {
    const stats = await submit({ type: 'data-processing', payload: { numbers: [4, 8, 15, 16, 23, 42] } });
    expect((await waitFor(stats.id)).result).toEqual({ count: 6, sum: 108, mean: 18, min: 4, max: 42 });

    const csv = await submit({
      type: 'csv-export',
      payload: { data: [{ name: 'Ada', age: 36 }, { name: 'Alan' }], columns: ['name', 'age'] },
    });
    const exported = await waitFor(csv.id);
    expect(exported).toMatchObject({
      status: 'DONE',
      result: { artifactUrl: `/api/jobs/${csv.id}/artifact`, rows: 2 },
    });
    const file = await jobsArtifact({ client, path: { id: csv.id }, parseAs: 'blob', throwOnError: true });
    expect(file.response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(parse(await file.data.text())).toEqual([
      ['name', 'age'],
      ['Ada', '36'],
      ['Alan', ''],
    ]);
  });

  it('gets a job with an API key or a bearer token alike', async () => {
    const job = await submit({ type: 'sleep', payload: { delayMs: 0 } });
    const viaKey = await jobsGet({ client, path: { id: job.id }, throwOnError: true });
    const viaToken = await jobsGet({ client: bearerClient, path: { id: job.id }, throwOnError: true });
    expect(viaToken.data.data.id).toBe(viaKey.data.data.id);
  });

  it('lists with filters and pagination, typed meta included', async () => {
    const mine = [
      await submit({ type: 'sleep', payload: { delayMs: 0 } }),
      await submit({ type: 'sleep', payload: { delayMs: 0 } }),
      await submit({ type: 'data-processing', payload: { numbers: [1] } }),
    ];
    await Promise.all(mine.map((job) => waitFor(job.id)));

    const { data: page } = await jobsList({
      client,
      query: { type: 'sleep', status: 'DONE', page: 1, limit: 1, from: mine[0].createdAt },
      throwOnError: true,
    });
    expect(page.data).toHaveLength(1);
    expect(page.data[0]).toMatchObject({ id: mine[1].id, type: 'sleep', status: 'DONE' });
    expect(page.meta).toEqual({
      total: 2,
      page: 1,
      limit: 1,
      totalPages: 2,
      hasNextPage: true,
      hasPrevPage: false,
    });

    const { data: none } = await jobsList({
      client,
      query: { to: '2000-01-01T00:00:00Z' },
      throwOnError: true,
    });
    expect(none.meta.total).toBe(0);
  });

  it("reads a job's log, oldest first", async () => {
    const job = await submit({ type: 'sleep', payload: { delayMs: 0 } });
    await waitFor(job.id);
    const { data } = await jobsLogs({ client, path: { id: job.id }, throwOnError: true });
    expect(data.data.length).toBeGreaterThan(0);
    expect(data.data.every((entry) => entry.jobId === job.id && entry.level === 'info')).toBe(true);
    const times = data.data.map((entry) => Date.parse(entry.createdAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('changes, cancels and retries a scheduled job, which then runs at once', async () => {
    const job = await submit({ type: 'sleep', payload: { delayMs: 0 }, delayMs: 60_000 });
    expect(job.runAt).not.toBeNull();
    const updated = await jobsUpdate({
      client,
      path: { id: job.id },
      body: { priority: 'low' },
      throwOnError: true,
    });
    expect(updated.data).toMatchObject({
      message: 'Job updated',
      data: { priority: 'low', status: 'PENDING' },
    });

    const cancelled = await jobsCancel({ client, path: { id: job.id }, throwOnError: true });
    expect(cancelled.data).toMatchObject({ message: 'Job cancelled', data: { status: 'CANCELLED' } });

    const again = await jobsCancel({ client, path: { id: job.id } });
    expect(again.response?.status).toBe(400);
    expect(again.error).toMatchObject({ success: false, code: 'INVALID_OPERATION' });

    const retried = await jobsRetry({ client, path: { id: job.id }, throwOnError: true });
    expect(retried.response.status).toBe(201);
    expect(retried.data.data).toMatchObject({ status: 'PENDING', attempts: 0, runAt: null });
    expect(await waitFor(job.id)).toMatchObject({ status: 'DONE', attempts: 1 });
  });

  it('cancels a PROCESSING job, and retries a FAILED one', async () => {
    const running = await submit({ type: 'sleep', payload: { delayMs: 20_000 } });
    await waitFor(running.id, (job) => job.status === 'PROCESSING');
    const { data } = await jobsCancel({ client, path: { id: running.id }, throwOnError: true });
    expect(data.data.status).toBe('CANCELLED');

    const failing = await submit({ type: 'sleep', payload: { delayMs: 0, failTimes: 1 }, maxRetries: 0 });
    const failed = await waitFor(failing.id);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(failed.error).toContain('Simulated failure');
    await jobsRetry({ client, path: { id: failing.id }, throwOnError: true });
    // failTimes counts the job's attempts over its life: the retry (attempt 1 again) is its second, and passes.
    expect(await waitFor(failing.id, (job) => job.status === 'DONE')).toMatchObject({
      status: 'DONE',
      attempts: 1,
    });
  });

  it('submits a batch in one call', async () => {
    const { data, response } = await jobsSubmitBatch({
      client,
      body: {
        jobs: [
          { type: 'sleep', payload: { delayMs: 1 } },
          { type: 'data-processing', payload: { numbers: [2, 3] }, priority: 'high' },
          { type: 'csv-export', payload: { data: [{ a: 1 }] } },
        ],
      },
      throwOnError: true,
    });
    expect(response?.status).toBe(201);
    expect(data.message).toBe('Jobs submitted');
    expect(data.data.jobs.map((job) => [job.type, job.priority])).toEqual([
      ['sleep', 'normal'],
      ['data-processing', 'high'],
      ['csv-export', 'normal'],
    ]);
    const finished = await Promise.all(data.data.jobs.map((job) => waitFor(job.id)));
    expect(finished.map((job) => job.status)).toEqual(['DONE', 'DONE', 'DONE']);
  });

  it('returns the 400 envelope, with errors by field, as the typed error', async () => {
    const { data, error, response } = await jobsSubmit({
      client,
      body: { type: 'sleep', payload: { delayMs: 10 }, maxRetries: 11 },
    });
    expect(data).toBeUndefined();
    expect(response?.status).toBe(400);
    const envelope: ErrorResponseDto | undefined = error;
    expect(envelope).toMatchObject({
      success: false,
      code: 'VALIDATION_FAILED',
      requestId: expect.any(String),
    });
    expect(envelope?.errors).toEqual({ maxRetries: [expect.stringContaining('maxRetries')] });

    const payload = await jobsSubmit({ client, body: { type: 'sleep', payload: { delayMs: -5 } } });
    expect(payload.error?.errors).toHaveProperty(['payload.delayMs']);

    const batch = await jobsSubmitBatch({
      client,
      body: {
        jobs: [
          { type: 'sleep', payload: { delayMs: 1 } },
          { type: 'sleep', payload: { delayMs: -1 } },
        ],
      },
    });
    expect(batch.error?.errors).toEqual({ 'jobs.1.payload.delayMs': [expect.any(String)] });
  });

  it('rejects an unknown job type at compile time and at run time', async () => {
    const { error, response } = await jobsSubmit({
      client,
      // @ts-expect-error: the type is one of the registered job types
      body: { type: 'mine-bitcoin', payload: { delayMs: 1 } },
    });
    expect(response?.status).toBe(400);
    expect(error?.errors?.type?.[0]).toContain('sleep');
  });

  it('replays an idempotent submission (Idempotency-Key header): 200, same job, Idempotent-Replayed', async () => {
    const key = randomUUID();
    const body: SubmitJobDto = { type: 'sleep', payload: { delayMs: 0 } };
    const first = await jobsSubmit({ client, body, headers: { 'Idempotency-Key': key }, throwOnError: true });
    expect(first.response.status).toBe(201);
    expect(first.response.headers.get('Idempotent-Replayed')).toBeNull();

    const replay = await jobsSubmit({
      client,
      body,
      headers: { 'Idempotency-Key': key },
      throwOnError: true,
    });
    expect(replay.response.status).toBe(200);
    expect(replay.response.headers.get('Idempotent-Replayed')).toBe('true');
    expect(replay.data.data).toMatchObject({ id: first.data.data.id, idempotencyKey: key });

    const other = await jobsSubmit({
      client,
      body: { type: 'sleep', payload: { delayMs: 5 } },
      headers: { 'Idempotency-Key': key },
    });
    expect(other.response?.status).toBe(422);
    expect(other.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('answers 404 with the typed envelope for a job that does not exist', async () => {
    const id = randomUUID();
    for (const call of [
      () => jobsGet({ client, path: { id } }),
      () => jobsLogs({ client, path: { id } }),
      () => jobsCancel({ client, path: { id } }),
      () => jobsRetry({ client, path: { id } }),
      () => jobsArtifact({ client, path: { id } }),
      () => webhooksList({ client, path: { id } }),
    ]) {
      const { error, response } = await call();
      expect(response?.status).toBe(404);
      expect(error).toMatchObject({ success: false, code: 'JOB_NOT_FOUND', message: 'Job not found' });
    }
  });

  it('answers 401 with the typed envelope without credentials', async () => {
    const { error, response } = await jobsList({ client: sdk.client() });
    expect(response?.status).toBe(401);
    expect(error?.code).toBe('UNAUTHORIZED');
  });

  it("reads the caller's stats and a job's (empty) webhook log", async () => {
    const job = await submit({ type: 'sleep', payload: { delayMs: 0 } });
    await waitFor(job.id);
    const { data: stats } = await jobsStats({ client, throwOnError: true });
    expect(stats.data.counts.DONE).toBeGreaterThan(0);
    expect(stats.data.last7Days).toHaveLength(7);
    const { data: deliveries } = await webhooksList({ client, path: { id: job.id }, throwOnError: true });
    expect(deliveries.data).toEqual([]);
  });

  it('saw every response above conform to the document', () => {
    expect(sdk.checked).toBeGreaterThan(50);
  });
});
