import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { JobPriority } from '../job-status';
import { FairShare, REBASE_AT } from './fair-share';
import { queueEntries } from './queue-entries';
import type { TenantLimits } from './tenant-limits';

export interface QueueTagRequest {
  tenant: string;
  priority: JobPriority;
  /** The entry, when it is waiting now (see TagRequest.id). */
  id?: string;
}

/**
 * The fair-share tags a queue's new entries get (their BullMQ priority), at their tenants' weights, for any
 * fairly shared queue (JobQueue, WebhookQueue); with fair sharing off, none (undefined: the class decides).
 * A tag past REBASE_AT starts a rebase of the queue in the background, once at a time.
 */
export class QueueTags {
  private readonly logger: Logger;

  constructor(
    private readonly queue: Queue,
    private readonly fair: FairShare,
    private readonly limits: TenantLimits,
    private readonly fairSharing: boolean,
  ) {
    this.logger = new Logger(`QueueTags:${queue.name}`);
  }

  async of(requests: QueueTagRequest[]): Promise<(number | undefined)[]> {
    if (!this.fairSharing) return requests.map(() => undefined);
    const limits = await this.limits.ofMany([...new Set(requests.map((r) => r.tenant))]);
    const tags = await this.fair.tags(requests.map((r) => ({ ...r, weight: limits.get(r.tenant)!.weight })));
    if (tags.some((tag) => tag >= REBASE_AT)) this.rebaseSoon();
    return tags;
  }

  /** Lowers every waiting and delayed entry's tag, then V (FairShare.rebase). */
  private rebaseSoon() {
    this.fair
      .rebase((offset) => queueEntries.shiftTags(this.queue, offset))
      .then((done) => done && this.logger.log('Fair-share tags rebased'))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'Fair-share rebase failed'));
  }
}
