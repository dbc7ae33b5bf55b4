import { ConfigService } from '@nestjs/config';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { AppError } from '@app/common/errors/app-error';
import type { WebhookEvent, WebhookPayload } from '@app/contracts/webhook-payload';
import type { Env } from '../../../../config/env';
import { JobOutbox } from '../../../jobs/job-outbox';
import { uuidFrom } from '../../signature';
import { WebhookQueue } from '../../webhook-queue';
import type { DeliverWebhookData } from '../../webhooks.queue';
import { EnqueueDeliveryCommand } from './enqueue-delivery.command';

const EVENTS: Record<string, WebhookEvent> = {
  DONE: 'job.done',
  FAILED: 'job.failed',
  CANCELLED: 'job.cancelled',
};

@CommandHandler(EnqueueDeliveryCommand)
export class EnqueueDeliveryHandler implements ICommandHandler<EnqueueDeliveryCommand> {
  constructor(
    private readonly queue: WebhookQueue,
    private readonly config: ConfigService<Env, true>,
    private readonly outbox: JobOutbox,
  ) {}

  async execute({ job, redelivery }: EnqueueDeliveryCommand) {
    const event = EVENTS[job.status];
    if (!event || !job.webhookUrl || !job.finishedAt)
      throw new Error(`Job ${job.id} has no final event to deliver`);
    const payload: WebhookPayload = {
      jobId: job.id,
      type: job.type,
      status: job.status as WebhookPayload['status'],
      result: job.result,
      error: job.error,
      attempts: job.attempts,
      timestamp: job.finishedAt,
    };
    const deliveryId = redelivery ? randomUUID() : uuidFrom(`${job.id}|${job.finishedAt}`);
    const data: DeliverWebhookData = {
      deliveryId,
      jobId: job.id,
      userId: job.userId,
      url: job.webhookUrl,
      event,
      body: JSON.stringify(payload),
    };
    // One redelivery of a job at a time: while one is waiting, running or between its retries, that one stands.
    const attempts = this.config.get('WEBHOOK_MAX_ATTEMPTS', { infer: true });
    const queued = await this.queue.add(data, attempts, redelivery ? `redeliver:${job.id}` : undefined);
    if (redelivery && queued !== deliveryId) {
      throw new AppError(
        'REDELIVERY_PENDING',
        `A redelivery of this job (delivery ${queued}) is still pending. Wait for it to finish.`,
      );
    }
    if (!redelivery) await this.outbox.markQueued(job.id, job.finishedAt);
    return { deliveryId };
  }
}
