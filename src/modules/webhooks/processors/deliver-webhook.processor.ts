import { Processor, WorkerHost } from '@nestjs/bullmq';
import { CommandBus } from '@nestjs/cqrs';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { DeliverWebhookCommand } from '../commands/deliver-webhook/deliver-webhook.command';
import { DeliverySlots } from '../delivery-slots';
import { DeliverWebhookData, WEBHOOKS_QUEUE, webhookRetryDelayMs } from '../webhooks.queue';

/** The webhooks worker's backoff (QueueWorkers gives it to the worker): 2 s, 4 s, 8 s… */
export const deliverWebhookBackoff = (attemptsMade: number) => webhookRetryDelayMs(attemptsMade);

/**
 * Makes one delivery attempt (DeliverWebhookCommand) and tells BullMQ how it ended: an error to retry after the
 * backoff, an UnrecoverableError to stop. A delivery over its user's WEBHOOK_USER_CONCURRENCY is held instead
 * (DeliverySlots): DelayedError, no attempt made or counted. Runs in worker processes; a delivery waiting for
 * its retry lives in Redis and survives restarts.
 */
@Processor(WEBHOOKS_QUEUE)
export class DeliverWebhookProcessor extends WorkerHost {
  constructor(
    private readonly commands: CommandBus,
    private readonly slots: DeliverySlots,
  ) {
    super();
  }

  async process(entry: Job<DeliverWebhookData>, token?: string) {
    // BullMQ's move to delayed skips attemptsMade, so a held delivery's next attempt keeps its number.
    const taken = await this.slots.acquire(entry, token);
    if (!taken.run) throw new DelayedError();
    let outcome;
    try {
      outcome = await this.commands.execute(
        new DeliverWebhookCommand(entry.data, entry.attemptsMade + 1, entry.opts.attempts ?? 1),
      );
    } finally {
      if (taken.slot) await this.slots.releaseQuietly(taken.slot);
    }
    if (outcome.kind === 'retry') throw new Error(outcome.error);
    if (outcome.kind === 'failed') throw new UnrecoverableError(outcome.error);
  }
}
