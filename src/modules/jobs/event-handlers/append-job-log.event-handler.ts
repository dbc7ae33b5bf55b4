import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { JobCancelledEvent } from '../events/job-cancelled.event';
import { JobFailedEvent } from '../events/job-failed.event';
import { JobRetryScheduledEvent } from '../events/job-retry-scheduled.event';
import { JobStartedEvent } from '../events/job-started.event';
import { JobSubmittedEvent } from '../events/job-submitted.event';
import { JobSucceededEvent } from '../events/job-succeeded.event';
import { JobLogWriter } from '../job-log-writer';

type LoggedEvent =
  | JobSubmittedEvent
  | JobStartedEvent
  | JobRetryScheduledEvent
  | JobSucceededEvent
  | JobFailedEvent
  | JobCancelledEvent;

/** Every status change becomes a line of the job's log (progress does not: it would drown the rest). */
@EventsHandler(
  JobSubmittedEvent,
  JobStartedEvent,
  JobRetryScheduledEvent,
  JobSucceededEvent,
  JobFailedEvent,
  JobCancelledEvent,
)
export class AppendJobLogHandler implements IEventHandler<LoggedEvent> {
  constructor(private readonly logs: JobLogWriter) {}

  async handle(event: LoggedEvent) {
    const { job } = event;
    const of = `${job.attempts} of ${job.maxRetries + 1}`;
    if (event instanceof JobSubmittedEvent) {
      const lines = {
        api: `Job created (type ${job.type}, priority ${job.priority})`,
        batch: `Job created in a batch (type ${job.type}, priority ${job.priority})`,
        retry: 'Job re-queued by its owner (attempts reset)',
        replay: 'Job replayed by an admin (attempts reset)',
      };
      await this.logs.append(
        job.id,
        'info',
        lines[event.via] + (job.runAt ? `, scheduled for ${job.runAt}` : ''),
      );
    } else if (event instanceof JobStartedEvent) {
      await this.logs.append(job.id, 'info', `Attempt ${of} started (status PROCESSING)`);
    } else if (event instanceof JobRetryScheduledEvent) {
      await this.logs.append(job.id, 'warn', `Attempt ${of} failed: ${job.error}`);
      await this.logs.append(job.id, 'info', `Retry scheduled at ${job.nextRetryAt} (status PENDING)`);
    } else if (event instanceof JobSucceededEvent) {
      await this.logs.append(job.id, 'info', `Attempt ${of} succeeded (status DONE)`);
    } else if (event instanceof JobFailedEvent) {
      await this.logs.append(job.id, 'error', `Attempt ${of} failed: ${job.error}`);
      await this.logs.append(job.id, 'error', `Job failed after ${job.attempts} attempt(s) (status FAILED)`);
    } else {
      await this.logs.append(job.id, 'warn', 'Job cancelled (status CANCELLED)');
    }
  }
}
