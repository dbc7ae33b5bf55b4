import { Command } from '@nestjs/cqrs';

export class RedeliverWebhookCommand extends Command<{ deliveryId: string }> {
  constructor(
    readonly userId: string,
    readonly jobId: string,
  ) {
    super();
  }
}
