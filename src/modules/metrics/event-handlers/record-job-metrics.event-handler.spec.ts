import { fake } from '@app/testing/fake';
import type { Queue } from 'bullmq';
import { JobCancelledEvent } from '../../jobs/events/job-cancelled.event';
import { JobFailedEvent } from '../../jobs/events/job-failed.event';
import { JobRetryScheduledEvent } from '../../jobs/events/job-retry-scheduled.event';
import { JobStartedEvent } from '../../jobs/events/job-started.event';
import { JobQueuedEvent } from '../../jobs/events/job-queued.event';
import { JobSucceededEvent } from '../../jobs/events/job-succeeded.event';
import type { JobView } from '../../jobs/job-view';
import { Metrics } from '../metrics';
import { RecordJobMetricsHandler, secondsBetween } from './record-job-metrics.event-handler';

const job = (overrides: Partial<JobView> = {}): JobView =>
  fake<JobView>({
    id: 'j1',
    type: 'sleep',
    status: 'PENDING',
    attempts: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    ...overrides,
  });

describe(RecordJobMetricsHandler.name, () => {
  let metrics: Metrics;
  let sut: RecordJobMetricsHandler;
  const queue = (name: string) => fake<Queue>({ name, getJobCounts: jest.fn(() => Promise.resolve({})) });
  const valuesOf = async (metric: { get: () => Promise<{ values: unknown[] }> }) =>
    (await metric.get()).values;
  const observed = async (histogram: Metrics['jobDuration']) =>
    (await histogram.get()).values
      .filter((v) => v.metricName?.endsWith('_sum') || v.metricName?.endsWith('_count'))
      .map((v) => [v.metricName, v.labels.type, v.value]);

  beforeEach(() => {
    metrics = new Metrics(queue('jobs'), queue('webhooks'));
    sut = new RecordJobMetricsHandler(metrics);
  });

  it('counts submissions through the API and batches, not retries or replays', async () => {
    sut.handle(new JobQueuedEvent(job(), 'api'));
    sut.handle(new JobQueuedEvent(job(), 'batch'));
    sut.handle(new JobQueuedEvent(job({ type: 'csv-export' })));
    sut.handle(new JobQueuedEvent(job(), 'retry'));
    sut.handle(new JobQueuedEvent(job(), 'replay'));
    expect(await valuesOf(metrics.jobsSubmitted)).toEqual([
      { value: 2, labels: { type: 'sleep' } },
      { value: 1, labels: { type: 'csv-export' } },
    ]);
  });

  it('observes the wait from creation to the start of the first attempt only', async () => {
    sut.handle(new JobStartedEvent(job({ attempts: 1, startedAt: '2026-01-01T00:00:01.500Z' })));
    sut.handle(new JobStartedEvent(job({ attempts: 2, startedAt: '2026-01-01T00:00:09.000Z' })));
    expect(await observed(metrics.jobWait)).toEqual([
      ['conveyor_job_wait_seconds_sum', 'sleep', 1.5],
      ['conveyor_job_wait_seconds_count', 'sleep', 1],
    ]);
  });

  it('observes each attempt: a scheduled retry until the row went back to PENDING, a final one until it finished', async () => {
    const startedAt = '2026-01-01T00:00:10.000Z';
    sut.handle(
      new JobRetryScheduledEvent(job({ attempts: 1, startedAt, updatedAt: '2026-01-01T00:00:10.250Z' })),
    );
    sut.handle(
      new JobSucceededEvent(
        job({ status: 'DONE', attempts: 2, startedAt, finishedAt: '2026-01-01T00:00:12.000Z' }),
      ),
    );
    expect(await observed(metrics.jobDuration)).toEqual([
      ['conveyor_job_duration_seconds_sum', 'sleep', 2.25],
      ['conveyor_job_duration_seconds_count', 'sleep', 2],
    ]);
  });

  it('counts final statuses by type; a cancel or a never-started failure adds no run time', async () => {
    sut.handle(new JobSucceededEvent(job({ status: 'DONE', startedAt: '2026-01-01T00:00:00.000Z' })));
    sut.handle(new JobFailedEvent(job({ status: 'FAILED', finishedAt: '2026-01-01T00:00:01.000Z' })));
    sut.handle(new JobCancelledEvent(job({ status: 'CANCELLED', type: 'send-email' })));
    expect(await valuesOf(metrics.jobsFinished)).toEqual([
      { value: 1, labels: { type: 'sleep', status: 'DONE' } },
      { value: 1, labels: { type: 'sleep', status: 'FAILED' } },
      { value: 1, labels: { type: 'send-email', status: 'CANCELLED' } },
    ]);
    expect(await observed(metrics.jobDuration)).toEqual([]);
  });
});

describe(secondsBetween.name, () => {
  it('is the non-negative difference in seconds, undefined without both ends', () => {
    expect(secondsBetween('2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.500Z')).toBe(60.5);
    expect(secondsBetween('2026-01-01T00:00:01.000Z', '2026-01-01T00:00:00.000Z')).toBe(0);
    expect(secondsBetween(null, '2026-01-01T00:00:00.000Z')).toBeUndefined();
    expect(secondsBetween('2026-01-01T00:00:00.000Z', null)).toBeUndefined();
    expect(secondsBetween('garbage', '2026-01-01T00:00:00.000Z')).toBeUndefined();
  });
});
