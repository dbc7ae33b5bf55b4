import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Job } from 'bullmq';
import type { Env } from '../../config/env';
import { FairShare } from '../jobs/fair-share/fair-share';
import { WEBHOOKS_FAIR_SHARE } from '../jobs/fair-share/fair-share-token';
import { holdEntry, LEASE_MARGIN_MS, releaseSlot } from '../jobs/fair-share/slot-handover';
import { WebhookQueue } from './webhook-queue';
import type { DeliverWebhookData } from './webhooks.queue';

/** A slot taken for one attempt, to give back when it ends. */
export interface DeliverySlot {
  tenant: string;
  id: string;
}

/**
 * Per-user concurrency of webhook deliveries, across all workers (WEBHOOK_USER_CONCURRENCY): before an
 * attempt the delivery takes one of its user's slots (the `webhooks` scope of FairShare, which also advances
 * that scope's virtual time), or it is held: back in delayed, no attempt counted, until one of the user's
 * deliveries ends and wakes it. So one user's receivers that hang hold at most that many worker slots.
 */
@Injectable()
export class DeliverySlots {
  private readonly logger = new Logger(DeliverySlots.name);
  private readonly cap: number;
  private readonly leaseMs: number;

  constructor(
    @Inject(WEBHOOKS_FAIR_SHARE) private readonly fair: FairShare,
    private readonly queue: WebhookQueue,
    config: ConfigService<Env, true>,
  ) {
    this.cap = config.get('WEBHOOK_USER_CONCURRENCY', { infer: true });
    this.leaseMs = config.get('WEBHOOK_TIMEOUT_MS', { infer: true }) + LEASE_MARGIN_MS;
  }

  /**
   * Before an attempt: `run`, with the slot to release after it (none for an entry without a user, which no
   * Conveyor enqueue makes); or not: the entry is held in delayed (the processor throws DelayedError).
   */
  async acquire(
    entry: Job<DeliverWebhookData>,
    token: string | undefined,
  ): Promise<{ run: true; slot?: DeliverySlot } | { run: false }> {
    const { deliveryId: id, userId: tenant } = entry.data;
    if (!tenant) return { run: true };
    // Deliveries join no class order (no id given to the tags), so a start never yields: run or held.
    const started = await this.fair.start(tenant, id, Number(entry.priority), this.cap, this.leaseMs);
    if (started.kind !== 'held') return { run: true, slot: { tenant, id } };
    await holdEntry(this.fair, (held) => this.queue.wake(held), entry, token, { tenant, id });
    return { run: false };
  }

  /** After an attempt: its slot goes to the user's next held deliveries (lowest tag first), woken now. */
  release(slot: DeliverySlot): Promise<void> {
    return releaseSlot(this.fair, (held) => this.queue.wake(held), { ...slot, cap: this.cap });
  }

  /** Release without changing the attempt's outcome: a lost release only delays held ones (HELD_RECHECK_MS). */
  releaseQuietly(slot: DeliverySlot): Promise<void> {
    return this.release(slot).catch((error: unknown) =>
      this.logger.warn({ err: error, deliveryId: slot.id }, 'Webhook delivery slot not released'),
    );
  }
}
