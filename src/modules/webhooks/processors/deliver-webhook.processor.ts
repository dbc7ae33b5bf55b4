import { Processor, WorkerHost } from '@nestjs/bullmq';
import { CommandBus } from '@nestjs/cqrs';
import { Job } from 'bullmq';
import { DeliverWebhookCommand } from '../commands/deliver-webhook/deliver-webhook.command';
import { DeliverWebhookData, WEBHOOKS_QUEUE, webhookRetryDelayMs } from '../webhooks.queue';

/** Runs in worker processes; a delivery waiting for its retry lives in Redis and survives restarts. */
@Processor(WEBHOOKS_QUEUE, {
  concurrency: 10,
  settings: { backoffStrategy: (attemptsMade: number) => webhookRetryDelayMs(attemptsMade) },
})
export class DeliverWebhookProcessor extends WorkerHost {
  constructor(private readonly commands: CommandBus) {
    super();
  }

  async process(job: Job<DeliverWebhookData>) {
    const attempt = job.attemptsMade + 1;
    await this.commands.execute(
      new DeliverWebhookCommand(job.data, attempt, attempt >= (job.opts.attempts ?? 1)),
    );
  }
}
