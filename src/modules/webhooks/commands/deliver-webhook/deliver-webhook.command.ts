import { Command } from '@nestjs/cqrs';
import type { DeliverWebhookData } from '../../webhooks.queue';

/** How one delivery attempt ended, for the queue entry that made it. */
export type DeliverWebhookOutcome =
  | { kind: 'delivered' }
  /** Not delivered; attempts are left, so it is made again after the backoff. */
  | { kind: 'retry'; error: string }
  /** Not delivered, for good: the last attempt, or a target that can never be reached. */
  | { kind: 'failed'; error: string };

/** One delivery attempt: sign, POST, record. `maxAttempts` is the delivery's attempt budget (its queue entry's). */
export class DeliverWebhookCommand extends Command<DeliverWebhookOutcome> {
  constructor(
    readonly delivery: DeliverWebhookData,
    readonly attempt: number,
    readonly maxAttempts: number,
  ) {
    super();
  }
}
