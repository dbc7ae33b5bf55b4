import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { JobCancelledEvent } from '../../jobs/events/job-cancelled.event';
import { JobFailedEvent } from '../../jobs/events/job-failed.event';
import { JobProgressedEvent } from '../../jobs/events/job-progressed.event';
import { JobRetryScheduledEvent } from '../../jobs/events/job-retry-scheduled.event';
import { JobStartedEvent } from '../../jobs/events/job-started.event';
import { JobQueuedEvent } from '../../jobs/events/job-queued.event';
import { JobSucceededEvent } from '../../jobs/events/job-succeeded.event';
import { RealtimePublisher } from '../realtime-publisher';

type JobEvent =
  | JobQueuedEvent
  | JobStartedEvent
  | JobProgressedEvent
  | JobRetryScheduledEvent
  | JobSucceededEvent
  | JobFailedEvent
  | JobCancelledEvent;

/** Each change of a job: its event to the job's subscribers, and the whole job to its owner (and admins). */
@EventsHandler(
  JobQueuedEvent,
  JobStartedEvent,
  JobProgressedEvent,
  JobRetryScheduledEvent,
  JobSucceededEvent,
  JobFailedEvent,
  JobCancelledEvent,
)
export class PushJobStatusHandler implements IEventHandler<JobEvent> {
  constructor(private readonly publisher: RealtimePublisher) {}

  handle(event: JobEvent) {
    const { job } = event;
    const jobId = job.id;
    if (event instanceof JobStartedEvent) {
      this.publisher.toJob(jobId, 'job:processing', { jobId, status: 'PROCESSING', attempt: job.attempts });
    } else if (event instanceof JobProgressedEvent) {
      this.publisher.toJob(jobId, 'job:progress', { jobId, progress: job.progress });
    } else if (event instanceof JobRetryScheduledEvent) {
      this.publisher.toJob(jobId, 'job:retrying', {
        jobId,
        status: 'PENDING',
        attempt: job.attempts,
        error: job.error,
        nextRetryAt: job.nextRetryAt,
      });
    } else if (event instanceof JobSucceededEvent) {
      this.publisher.toJob(jobId, 'job:done', { jobId, status: 'DONE', result: job.result });
    } else if (event instanceof JobFailedEvent) {
      this.publisher.toJob(jobId, 'job:failed', { jobId, status: 'FAILED', error: job.error });
    } else if (event instanceof JobCancelledEvent) {
      this.publisher.toJob(jobId, 'job:cancelled', { jobId, status: 'CANCELLED' });
    }
    this.publisher.toUser(job.userId, 'job:updated', job);
  }
}
