import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Queue } from 'bullmq';
import type { Env } from '../../config/env';
import { FairShare, REBASE_AT } from '../jobs/fair-share/fair-share';
import { WEBHOOKS_FAIR_SHARE } from '../jobs/fair-share/fair-share-token';
import { queueEntries, type WakeResult } from '../jobs/fair-share/queue-entries';
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
  private readonly logger = new Logger(WebhookQueue.name);
  private readonly fairSharing: boolean;

  constructor(
    @InjectQueue(WEBHOOKS_QUEUE) private readonly queue: Queue<DeliverWebhookData>,
    @Inject(WEBHOOKS_FAIR_SHARE) private readonly fair: FairShare,
    private readonly limits: TenantLimits,
    config: ConfigService<Env, true>,
  ) {
    this.fairSharing = config.get('FAIR_SHARING', { infer: true });
  }

  /** Queues a delivery with `attempts` in all; one already queued under its id is left as it is. */
  /**
   * Queues a delivery; answers the id of the entry that holds it. With `deduplicateBy`, while an entry of that
   * key is waiting, running or between its retries, BullMQ hands that one back instead of adding another.
   */
  async add(
    delivery: DeliverWebhookData,
    attempts: number,
    deduplicateBy?: string,
  ): Promise<string | undefined> {
    const tag = await this.tag(delivery.userId);
    const options = deliveryOptions(delivery.deliveryId, attempts, tag);
    if (deduplicateBy) options.deduplication = { id: deduplicateBy };
    return (await this.queue.add(DELIVER_WEBHOOK, delivery, options)).id;
  }

  /** A held delivery's turn (DeliverySlots): out of delayed now, or what became of it. */
  wake(deliveryId: string): Promise<WakeResult> {
    return queueEntries.wake(this.queue, deliveryId);
  }

  private async tag(tenant: string): Promise<number | undefined> {
    if (!this.fairSharing) return undefined;
    const { weight } = await this.limits.of(tenant);
    const [tag] = await this.fair.tags([{ tenant, priority: 'normal', weight }]);
    if (tag >= REBASE_AT) this.rebaseSoon();
    return tag;
  }

  /** Lowers every waiting and delayed delivery's tag, then V (FairShare.rebase); in the background. */
  private rebaseSoon() {
    this.fair
      .rebase((offset) => queueEntries.shiftTags(this.queue, offset))
      .then((done) => done && this.logger.log('Webhook fair-share tags rebased'))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'Webhook fair-share rebase failed'));
  }
}
