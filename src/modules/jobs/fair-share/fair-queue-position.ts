import { Inject, Injectable } from '@nestjs/common';
import type { QueuePositionSource } from '../queue-position/queue-position-source';
import { FairShare } from './fair-share';
import { JOBS_FAIR_SHARE } from './fair-share-token';
import { TenantLimits } from './tenant-limits';

/** What fair sharing knows of a PENDING job, for "why isn't it running?" (bound to QUEUE_POSITION_SOURCE). */
@Injectable()
export class FairQueuePosition implements QueuePositionSource {
  constructor(
    @Inject(JOBS_FAIR_SHARE) private readonly fair: FairShare,
    private readonly limits: TenantLimits,
  ) {}

  /** The user's running jobs and cap when the cap holds this job back; else null. */
  async heldBy(jobId: string, userId: string): Promise<{ running: number; limit: number } | null> {
    if (!(await this.fair.isHeld(userId, jobId))) return null;
    const [{ running }, { cap }] = await Promise.all([this.fair.slots(userId), this.limits.of(userId)]);
    return { running, limit: cap };
  }
}
