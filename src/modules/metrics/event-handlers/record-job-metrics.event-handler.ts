import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { JobCancelledEvent } from '../../jobs/events/job-cancelled.event';
import { JobFailedEvent } from '../../jobs/events/job-failed.event';
import { JobRetryScheduledEvent } from '../../jobs/events/job-retry-scheduled.event';
import { JobStartedEvent } from '../../jobs/events/job-started.event';
import { JobQueuedEvent } from '../../jobs/events/job-queued.event';
import { JobSucceededEvent } from '../../jobs/events/job-succeeded.event';
import { Metrics } from '../metrics';

type JobEvent =
  | JobQueuedEvent
  | JobStartedEvent
  | JobRetryScheduledEvent
  | JobSucceededEvent
  | JobFailedEvent
  | JobCancelledEvent;

/** Seconds between two ISO timestamps of the job view; undefined when either is missing. */
export function secondsBetween(from: string | null, to: string | null): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? Math.max(0, ms) / 1000 : undefined;
}

/**
 * The job counters and histograms, from the events of the process where each change happened: submissions
 * and cancels in API processes, attempts in workers. Timestamps come from the database's clock (the view).
 */
@EventsHandler(
  JobQueuedEvent,
  JobStartedEvent,
  JobRetryScheduledEvent,
  JobSucceededEvent,
  JobFailedEvent,
  JobCancelledEvent,
)
export class RecordJobMetricsHandler implements IEventHandler<JobEvent> {
  constructor(private readonly metrics: Metrics) {}

  handle(event: JobEvent) {
    const { job } = event;
    const type = job.type;
    if (event instanceof JobQueuedEvent) {
      // Retries and replays re-enter the queue but are not new submissions.
      if (event.via === 'api' || event.via === 'batch') this.metrics.jobsSubmitted.inc({ type });
    } else if (event instanceof JobStartedEvent) {
      const wait = job.attempts === 1 ? secondsBetween(job.createdAt, job.startedAt) : undefined;
      if (wait !== undefined) this.metrics.jobWait.observe({ type }, wait);
    } else if (event instanceof JobRetryScheduledEvent) {
      // The failed attempt ended when the row went back to PENDING (updatedAt); startedAt is still its start.
      this.observeRun(type, job.startedAt, job.updatedAt);
    } else if (event instanceof JobSucceededEvent || event instanceof JobFailedEvent) {
      this.metrics.jobsFinished.inc({ type, status: job.status });
      this.observeRun(type, job.startedAt, job.finishedAt);
    } else if (event instanceof JobCancelledEvent) {
      this.metrics.jobsFinished.inc({ type, status: job.status });
    }
  }

  private observeRun(type: string, startedAt: string | null, endedAt: string | null) {
    const seconds = secondsBetween(startedAt, endedAt);
    if (seconds !== undefined) this.metrics.jobDuration.observe({ type }, seconds);
  }
}
