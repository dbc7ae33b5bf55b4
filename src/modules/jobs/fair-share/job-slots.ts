import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Job } from 'bullmq';
import type { Env } from '../../../config/env';
import { JobQueue } from '../job-queue';
import type { RunJobData } from '../jobs.queue';
import { FairShare, MAX_TAG } from './fair-share';
import { JOBS_FAIR_SHARE } from './fair-share-token';
import { holdEntry, LEASE_MARGIN_MS, releaseSlot } from './slot-handover';
import { TenantLimits } from './tenant-limits';

/** What a start took: a slot to give back when the attempt ends (undefined: no cap, nothing taken). */
export interface Slot {
  tenant: string;
  id: string;
  cap: number;
}

/**
 * The jobs queue's side of fair sharing in the worker: before an attempt, advance virtual time and take a
 * slot under the owner's cap, or hold the entry (moved to delayed, no attempt counted) until a slot frees.
 */
@Injectable()
export class JobSlots {
  private readonly logger = new Logger(JobSlots.name);
  private readonly fairSharing: boolean;

  constructor(
    @Inject(JOBS_FAIR_SHARE) private readonly fair: FairShare,
    private readonly limits: TenantLimits,
    private readonly queue: JobQueue,
    config: ConfigService<Env, true>,
  ) {
    this.fairSharing = config.get('FAIR_SHARING', { infer: true });
  }

  /**
   * Before an attempt: `run` with the slot to release after it (or none when uncapped); or not, with where
   * the entry went: `delayed` (held by the cap: the processor throws DelayedError) or `waiting` (it gave its
   * turn to a better job of its tenant and waits for that one's: WaitingError). Neither counts an attempt.
   */
  async acquire(
    queued: Job<RunJobData>,
    token: string | undefined,
  ): Promise<{ run: true; slot?: Slot } | { run: false; went: 'delayed' | 'waiting' }> {
    const { jobId: id, userId: tenant, timeoutMs } = queued.data;
    if (!tenant) return { run: true };
    const { cap } = await this.limits.of(tenant);
    if (cap === 0 && !this.fairSharing) return { run: true };
    const lease = (timeoutMs ?? 0) + LEASE_MARGIN_MS;
    const tag = Number(queued.priority);
    // Each yield takes one job out of the tenant's waiting set, so this ends.
    for (;;) {
      const started = await this.fair.start(tenant, id, tag, cap, lease);
      if (started.kind === 'run') return { run: true, slot: cap > 0 ? { tenant, id, cap } : undefined };
      if (started.kind === 'held') {
        await holdEntry(this.fair, (held) => this.queue.wake(held), queued, token, { tenant, id });
        return { run: false, went: 'delayed' };
      }
      // Priority within the tenant's turn: the better job takes this turn (just ahead of it), this one that
      // job's place (just after, at least), so neither jumps another tenant.
      const front = Math.max(1, tag - 1);
      const theirs = await this.queue.bringForward(started.to, front);
      if (theirs === undefined) continue; // not waiting any more: ask again
      await queued.changePriority({ priority: Math.min(MAX_TAG, Math.max(theirs, front + 1)) });
      await queued.moveToWait(token);
      return { run: false, went: 'waiting' };
    }
  }

  /** After an attempt: its slot goes to the owner's next held jobs, which are woken now. */
  release(slot: Slot): Promise<void> {
    return releaseSlot(this.fair, (held) => this.queue.wake(held), slot);
  }

  /** Release without failing the attempt's outcome: a lost release only delays held jobs (HELD_RECHECK_MS). */
  releaseQuietly(slot: Slot): Promise<void> {
    return this.release(slot).catch((error: unknown) =>
      this.logger.warn({ err: error, jobId: slot.id }, 'Concurrency slot not released'),
    );
  }
}
