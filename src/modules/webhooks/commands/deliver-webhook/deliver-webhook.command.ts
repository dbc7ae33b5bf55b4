import { Command } from '@nestjs/cqrs';
import type { DeliverWebhookData } from '../../webhooks.queue';

/** One delivery attempt: sign, POST, record. Throws when the attempt failed (so BullMQ retries it). */
export class DeliverWebhookCommand extends Command<void> {
  constructor(
    readonly delivery: DeliverWebhookData,
    readonly attempt: number,
    readonly isLastAttempt: boolean,
  ) {
    super();
  }
}
