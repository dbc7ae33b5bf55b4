import type { WorkerHost } from '@nestjs/bullmq';
import type { Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { WorkerOptions } from 'bullmq';
import { type Env, redisUrlOf, workerLockOptions } from '../../config/env';
import { workerConnection } from '../redis/redis.module';
import { JOBS_QUEUE } from '../jobs/jobs.queue';
import { runJobBackoff, RunJobProcessor } from '../jobs/processors/run-job.processor';
import {
  deliverWebhookBackoff,
  DeliverWebhookProcessor,
} from '../webhooks/processors/deliver-webhook.processor';
import { WEBHOOKS_QUEUE } from '../webhooks/webhooks.queue';

export interface QueueWorkerDefinition {
  queue: string;
  processor: Type<WorkerHost>;
  /** What its entries are, in log lines ("Jobs still running…"). */
  entries: string;
  options: Partial<WorkerOptions>;
}

/**
 * Every BullMQ worker of a `worker` or `all` process, with its options from validated configuration. Both use
 * the same lock settings: an entry whose worker died is taken again after about lock + stalled interval.
 */
export function queueWorkerDefinitions(config: ConfigService<Env, true>): QueueWorkerDefinition[] {
  // The worker's own connection (the explorer would give it the queue's, which fails fast: see queueConnection).
  const lock = { connection: workerConnection(redisUrlOf(config)), ...workerLockOptions(config) };
  return [
    {
      queue: JOBS_QUEUE,
      processor: RunJobProcessor,
      entries: 'Jobs',
      options: {
        concurrency: config.get('WORKER_CONCURRENCY', { infer: true }),
        ...lock,
        maxStalledCount: config.get('JOB_MAX_STALLS', { infer: true }),
        settings: { backoffStrategy: runJobBackoff },
      },
    },
    {
      queue: WEBHOOKS_QUEUE,
      processor: DeliverWebhookProcessor,
      entries: 'Webhook deliveries',
      options: {
        concurrency: config.get('WEBHOOK_CONCURRENCY', { infer: true }),
        ...lock,
        settings: { backoffStrategy: deliverWebhookBackoff },
      },
    },
  ];
}
