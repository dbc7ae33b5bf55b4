import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Queue } from 'bullmq';
import type { Env } from '../../config/env';
import { FairShare } from '../jobs/fair-share/fair-share';
import { WEBHOOKS_FAIR_SHARE } from '../jobs/fair-share/fair-share-token';
import { queueEntries, type WakeResult } from '../jobs/fair-share/queue-entries';
import { QueueTags } from '../jobs/fair-share/queue-tags';
import { TenantLimits } from '../jobs/fair-share/tenant-limits';
import { DELIVER_WEBHOOK, DeliverWebhookData, deliveryOptions, WEBHOOKS_QUEUE } from './webhooks.queue';

/**
 * The one way into the `webhooks` queue. A delivery's place is a fair-share tag of the `webhooks` scope
 * (tenants take turns, as on the jobs queue; every delivery is a `normal` step of its user's weight), so a
 * user with a backlog of deliveries does not make another user's delivery wait behind it. A retry keeps the
 * delivery's tag: when its backoff is over it goes ahead of deliveries queued since.
 */
@Injectable()
export class WebhookQueue {
  private readonly queueTags: QueueTags;

  constructor(
    @InjectQueue(WEBHOOKS_QUEUE) private readonly queue: Queue<DeliverWebhookData>,
    @Inject(WEBHOOKS_FAIR_SHARE) fair: FairShare,
    limits: TenantLimits,
    config: ConfigService<Env, true>,
  ) {
    this.queueTags = new QueueTags(queue, fair, limits, config.get('FAIR_SHARING', { infer: true }));
  }

  /**
   * Queues a delivery; answers the id of the entry that holds it. With `deduplicateBy`, while an entry of that
   * key is waiting, running or between its retries, BullMQ hands that one back instead of adding another.
   */
  async add(
    delivery: DeliverWebhookData,
    attempts: number,
    deduplicateBy?: string,
  ): Promise<string | undefined> {
    // Every delivery is a `normal` step of its user's weight.
    const [tag] = await this.queueTags.of([{ tenant: delivery.userId, priority: 'normal' }]);
    const options = deliveryOptions(delivery.deliveryId, attempts, tag);
    if (deduplicateBy) options.deduplication = { id: deduplicateBy };
    return (await this.queue.add(DELIVER_WEBHOOK, delivery, options)).id;
  }

  /** A held delivery's turn (DeliverySlots): out of delayed now, or what became of it. */
  wake(deliveryId: string): Promise<WakeResult> {
    return queueEntries.wake(this.queue, deliveryId);
  }
}
