import type { JobsOptions } from 'bullmq';
import type { WebhookEvent } from '@app/contracts/webhook-payload';

export const WEBHOOKS_QUEUE = 'webhooks';
export const DELIVER_WEBHOOK = 'deliver';

export interface DeliverWebhookData {
  deliveryId: string;
  jobId: string;
  userId: string;
  url: string;
  event: WebhookEvent;
  /** The exact bytes that are signed and sent, the same on every retry. */
  body: string;
}

/** Delay before retry n: 2 s, then 4 s, 8 s… (API.md: "after 2 s, then 4 s"). */
export const webhookRetryDelayMs = (retry: number) => 2 ** retry * 1000;

/** `tag`: the delivery's fair-share place (BullMQ priority; undefined with fair sharing off: FIFO). */
export function deliveryOptions(deliveryId: string, attempts: number, tag?: number): JobsOptions {
  return {
    jobId: deliveryId, // enqueuing one delivery twice is a no-op
    attempts,
    ...(tag === undefined ? {} : { priority: tag }),
    backoff: { type: 'webhook' },
    // Kept a day, so a late duplicate enqueue of the same delivery stays a no-op.
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
