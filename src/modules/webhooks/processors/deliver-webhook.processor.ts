import { Processor, WorkerHost } from '@nestjs/bullmq';
import { CommandBus } from '@nestjs/cqrs';
import { Job, UnrecoverableError } from 'bullmq';
import { DeliverWebhookCommand } from '../commands/deliver-webhook/deliver-webhook.command';
import { DeliverWebhookData, WEBHOOKS_QUEUE, webhookRetryDelayMs } from '../webhooks.queue';

/** The webhooks worker's backoff (QueueWorkers gives it to the worker): 2 s, 4 s, 8 s… */
export const deliverWebhookBackoff = (attemptsMade: number) => webhookRetryDelayMs(attemptsMade);

/**
 * Makes one delivery attempt (DeliverWebhookCommand) and tells BullMQ how it ended: an error to retry after the
 * backoff, an UnrecoverableError to stop. Runs in worker processes; a delivery waiting for its retry lives in
 * Redis and survives restarts.
 */
@Processor(WEBHOOKS_QUEUE)
export class DeliverWebhookProcessor extends WorkerHost {
  constructor(private readonly commands: CommandBus) {
    super();
  }

  async process(job: Job<DeliverWebhookData>) {
    const outcome = await this.commands.execute(
      new DeliverWebhookCommand(job.data, job.attemptsMade + 1, job.opts.attempts ?? 1),
    );
    if (outcome.kind === 'retry') throw new Error(outcome.error);
    if (outcome.kind === 'failed') throw new UnrecoverableError(outcome.error);
  }
}
