import { Command } from '@nestjs/cqrs';

/** The final event of the job that finished at `finishedAt` is queued for delivery: clear the outbox flag. */
export class MarkWebhookQueuedCommand extends Command<void> {
  constructor(
    readonly jobId: string,
    readonly finishedAt: string,
  ) {
    super();
  }
}
