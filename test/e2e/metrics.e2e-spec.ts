import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { submitJob, waitForJob } from '@app/testing/jobs';
import { MetricsModule } from '../../src/modules/metrics/metrics.module';
import { WebhookReceiver } from '@app/testing/webhook-receiver';
import { pollUntil } from '@app/testing/eventually';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, one sample per line (`name{a="b",…} value`); comments skipped. */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with exactly these labels (le, for buckets, included); undefined if none. */
const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) => {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted)
    ?.value;
};

/**
 * `/metrics` of an app that runs its own jobs (PROCESS_ROLE=all): after a known set of jobs and one webhook,
 * the counters and histograms carry exactly these counts. The registry belongs to this app instance, so the
 * numbers count nothing from other suites.
 */
describe('Metrics (e2e)', () => {
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let user: TestUser;
  const scrape = async () => {
    const res = await t.http().get('/metrics').expect(200);
    return { res, samples: parseSamples(res.text) };
  };

  beforeAll(async () => {
    await receiver.start();
    t = await createTestApp({ PROCESS_ROLE: 'all' });
    user = await makeUser(t);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.close();
  });

  it('counts submissions, outcomes, attempt times, waits and webhook attempts with their labels', async () => {
    const sleep = (payload: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      type: 'sleep',
      payload: { delayMs: 20, ...payload },
      ...extra,
    });
    const batch = await t
      .http()
      .post('/api/jobs/batch')
      .set('X-API-Key', user.apiKey)
      .send({ jobs: [sleep({}), { type: 'data-processing', payload: { numbers: [1, 2, 3] } }] })
      .expect(201);
    const [done, processed] = batch.body.data.jobs as { id: string }[];
    const failed = await submitJob(t, user.apiKey, sleep({ forceFail: true }, { maxRetries: 0 }));
    const retried = await submitJob(t, user.apiKey, sleep({ failTimes: 1 }, { maxRetries: 1 }));
    receiver.respond('/hook', (previous) => (previous === 0 ? 500 : 200));
    const hooked = await submitJob(t, user.apiKey, sleep({}, { webhookUrl: `${receiver.url}/hook` }));
    const cancelled = await submitJob(t, user.apiKey, sleep({}, { delayMs: 600_000 }));
    await t.http().delete(`/api/jobs/${cancelled.id}`).set('X-API-Key', user.apiKey).expect(200);

    expect((await waitForJob(t, user.apiKey, done.id)).status).toBe('DONE');
    expect((await waitForJob(t, user.apiKey, processed.id)).status).toBe('DONE');
    expect((await waitForJob(t, user.apiKey, failed.id)).status).toBe('FAILED');
    expect(await waitForJob(t, user.apiKey, retried.id)).toMatchObject({ status: 'DONE', attempts: 2 });
    expect((await waitForJob(t, user.apiKey, hooked.id)).status).toBe('DONE');
    await receiver.waitFor('/hook', 2);

    // Events reach the metrics just after the row changes: wait for the last ones, then compare exactly.
    const { samples } = await pollUntil(scrape, ({ samples: s }) => {
      const hooks = valueOf(s, 'conveyor_webhook_deliveries_total', { outcome: 'success' });
      const finished = valueOf(s, 'conveyor_jobs_finished_total', { type: 'sleep', status: 'DONE' });
      return hooks === 1 && finished === 3;
    });
    const count = (name: string, labels: Record<string, string>) => valueOf(samples, name, labels) ?? 0;

    expect(count('conveyor_jobs_submitted_total', { type: 'sleep' })).toBe(5);
    expect(count('conveyor_jobs_submitted_total', { type: 'data-processing' })).toBe(1);
    expect(
      samples
        .filter((s) => s.name === 'conveyor_jobs_finished_total')
        .map((s) => [s.labels.type, s.labels.status, s.value])
        .sort(),
    ).toEqual([
      ['data-processing', 'DONE', 1],
      ['sleep', 'CANCELLED', 1],
      ['sleep', 'DONE', 3],
      ['sleep', 'FAILED', 1],
    ]);
    // One observation per attempt: done, failed, hooked once each, retried twice (the failed one and the good one).
    expect(count('conveyor_job_duration_seconds_count', { type: 'sleep' })).toBe(5);
    expect(count('conveyor_job_duration_seconds_count', { type: 'data-processing' })).toBe(1);
    expect(count('conveyor_job_duration_seconds_bucket', { type: 'sleep', le: '+Inf' })).toBe(5);
    // Every attempt slept at least 20 ms.
    expect(count('conveyor_job_duration_seconds_bucket', { type: 'sleep', le: '0.01' })).toBe(0);
    expect(count('conveyor_job_duration_seconds_sum', { type: 'sleep' })).toBeGreaterThanOrEqual(0.1);
    // Waits count first attempts only; the cancelled job never started.
    expect(count('conveyor_job_wait_seconds_count', { type: 'sleep' })).toBe(4);
    expect(count('conveyor_job_wait_seconds_count', { type: 'data-processing' })).toBe(1);
    expect(count('conveyor_webhook_deliveries_total', { outcome: 'failure' })).toBe(1);
    expect(count('conveyor_webhook_deliveries_total', { outcome: 'success' })).toBe(1);
  });

  it('reads the queue gauges of both queues from BullMQ at scrape time', async () => {
    const { samples } = await scrape();
    for (const queue of ['jobs', 'webhooks']) {
      for (const state of ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed']) {
        expect(valueOf(samples, 'conveyor_queue_jobs', { queue, state })).toEqual(expect.any(Number));
      }
    }
    // The DONE jobs left the queue (removeOnComplete); the FAILED one stays in its failed set.
    expect(valueOf(samples, 'conveyor_queue_jobs', { queue: 'jobs', state: 'failed' })).toBe(1);
    expect(valueOf(samples, 'conveyor_queue_jobs', { queue: 'webhooks', state: 'completed' })).toBe(1);
  });

  it('times HTTP requests by route pattern, method and status, never by raw URL', async () => {
    const job = await submitJob(t, user.apiKey, { type: 'sleep', payload: { delayMs: 1 } });
    await t.http().get(`/api/jobs/${job.id}`).set('X-API-Key', user.apiKey).expect(200);
    await t.http().get(`/api/jobs/${job.id}`).expect(401);
    await t.http().get('/no/such/route').expect(404);
    const { samples } = await scrape();
    const http = samples.filter((s) => s.name === 'conveyor_http_request_duration_seconds_count');
    const labels = { route: '/api/jobs/:id', method: 'GET' };
    expect(
      valueOf(samples, 'conveyor_http_request_duration_seconds_count', { ...labels, status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(samples, 'conveyor_http_request_duration_seconds_count', { ...labels, status: '401' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(samples, 'conveyor_http_request_duration_seconds_count', {
        route: '/api/jobs',
        method: 'POST',
        status: '201',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(samples, 'conveyor_http_request_duration_seconds_count', {
        route: 'unmatched',
        method: 'GET',
        status: '404',
      }),
    ).toBe(1);
    expect(http.every((s) => !/[0-9a-f]{8}-|\/no\//.test(s.labels.route))).toBe(true);
  });

  it('serves the text format with the default process metrics, outside the envelope and Swagger', async () => {
    const { res, samples } = await scrape();
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toMatch(/^# HELP /);
    expect(res.text).toContain('# TYPE conveyor_jobs_submitted_total counter');
    expect(res.text).toContain('# TYPE conveyor_job_duration_seconds histogram');
    expect(valueOf(samples, 'conveyor_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'conveyor_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'conveyor_nodejs_eventloop_lag_seconds')).toBe(true);
    // Only this module's controllers are documented here: /metrics would be the one path if it were not excluded.
    const doc = SwaggerModule.createDocument(t.app, new DocumentBuilder().build(), {
      include: [MetricsModule],
    });
    expect(doc.paths).toEqual({});
  });
});
