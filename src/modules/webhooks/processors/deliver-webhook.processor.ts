import { Processor, WorkerHost } from '@nestjs/bullmq';
import { OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CommandBus } from '@nestjs/cqrs';
import { Job, WorkerOptions } from 'bullmq';
import { type Env, workerLockOptions } from '../../../config/env';
import { DeliverWebhookCommand } from '../commands/deliver-webhook/deliver-webhook.command';
import { DeliverWebhookData, WEBHOOKS_QUEUE, webhookRetryDelayMs } from '../webhooks.queue';

/**
 * The worker's options. The decorator is evaluated at import, before configuration is read, so the processor
 * fills in the lock settings at module init: the workers are created later, by JobWorkers at application
 * bootstrap (manual registration), which Nest runs only after every module's init.
 */
export const DELIVER_WEBHOOK_WORKER_OPTIONS: Partial<WorkerOptions> = {
  concurrency: 10,
  settings: { backoffStrategy: (attemptsMade: number) => webhookRetryDelayMs(attemptsMade) },
};

/** Runs in worker processes; a delivery waiting for its retry lives in Redis and survives restarts. */
@Processor(WEBHOOKS_QUEUE, DELIVER_WEBHOOK_WORKER_OPTIONS)
export class DeliverWebhookProcessor extends WorkerHost implements OnModuleInit {
  constructor(
    private readonly commands: CommandBus,
    private readonly config: ConfigService<Env, true>,
  ) {
    super();
  }

  /** The jobs worker's lock settings: a delivery whose worker died is sent again after about their sum. */
  onModuleInit() {
    Object.assign(DELIVER_WEBHOOK_WORKER_OPTIONS, workerLockOptions(this.config));
  }

  async process(job: Job<DeliverWebhookData>) {
    const attempt = job.attemptsMade + 1;
    await this.commands.execute(
      new DeliverWebhookCommand(job.data, attempt, attempt >= (job.opts.attempts ?? 1)),
    );
  }
}
