import { Logger } from '@nestjs/common';
import { CommandBus, EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { JobCancelledEvent } from '../../jobs/events/job-cancelled.event';
import { JobFailedEvent } from '../../jobs/events/job-failed.event';
import { JobSucceededEvent } from '../../jobs/events/job-succeeded.event';
import { EnqueueDeliveryCommand } from '../commands/enqueue-delivery/enqueue-delivery.command';

type FinalEvent = JobSucceededEvent | JobFailedEvent | JobCancelledEvent;

/** A finished job with a webhookUrl gets its final event queued for delivery (durably, on BullMQ). */
@EventsHandler(JobSucceededEvent, JobFailedEvent, JobCancelledEvent)
export class QueueFinalEventHandler implements IEventHandler<FinalEvent> {
  private readonly logger = new Logger(QueueFinalEventHandler.name);

  constructor(private readonly commands: CommandBus) {}

  async handle({ job }: FinalEvent) {
    if (!job.webhookUrl) return;
    // A failure here leaves the job's outbox flag set: WebhookOutboxScan queues it later.
    await this.commands
      .execute(new EnqueueDeliveryCommand(job))
      .catch((error: unknown) =>
        this.logger.warn({ err: error, jobId: job.id }, 'Webhook not queued yet; the outbox scan will retry'),
      );
  }
}
