import { Command } from '@nestjs/cqrs';
import type { JobView } from '../../../jobs/job-view';

/** Queues the final event of a finished job for delivery to its webhookUrl. */
export class EnqueueDeliveryCommand extends Command<{ deliveryId: string }> {
  constructor(
    readonly job: JobView,
    /** A redelivery gets a fresh id; the automatic one derives its id from the finish, so it is queued once. */
    readonly redelivery = false,
  ) {
    super();
  }
}
