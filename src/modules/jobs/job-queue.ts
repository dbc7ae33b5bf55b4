import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Queue } from 'bullmq';
import type { Env } from '../../config/env';
import { FairShare } from './fair-share/fair-share';
import { JOBS_FAIR_SHARE } from './fair-share/fair-share-token';
import { queueEntries, type WakeResult } from './fair-share/queue-entries';
import { QueueTags } from './fair-share/queue-tags';
import { TenantLimits } from './fair-share/tenant-limits';
import type { JobPriority } from './job-status';
import {
  attemptsLeft,
  bullPriority,
  JOBS_QUEUE,
  RUN_JOB,
  RunJobData,
  runJobData,
  runJobOptions,
} from './jobs.queue';

/** What the queue needs of a job row. */
export interface QueueableJob {
  id: string;
  /** The tenant whose turn the job waits for (fair sharing) and whose cap it counts against. */
  userId: string;
  priority: JobPriority;
  maxRetries: number;
  attempts: number;
  timeoutMs: number;
  runAt: Date | null;
}

/** BullMQ's failedReason for an entry that stalled more than maxStalledCount times. */
export const STALLED_TOO_OFTEN = 'job stalled more than allowable limit';

/** A queue entry's state as BullMQ names it, or `missing` when there is none. */
export type EntryState = 'missing' | Awaited<ReturnType<Queue['getJobState']>>;

/**
 * The one way into the `jobs` queue. An entry's id is its job's id, so adding a job that already has an
 * entry is a no-op: a job is queued once, however many processes try. Putting a job back (a retry, a
 * replay, a lost attempt, a new start time) therefore frees the id first, and never waits for it.
 */
@Injectable()
export class JobQueue {
  private readonly queueTags: QueueTags;

  constructor(
    @InjectQueue(JOBS_QUEUE) private readonly queue: Queue<RunJobData>,
    @Inject(JOBS_FAIR_SHARE) fair: FairShare,
    limits: TenantLimits,
    config: ConfigService<Env, true>,
  ) {
    this.queueTags = new QueueTags(queue, fair, limits, config.get('FAIR_SHARING', { infer: true }));
  }

  /**
   * New rows, each with its whole budget (`1 + maxRetries` runs): their fair-share tags in one round trip,
   * then one add for all of them.
   */
  async enqueue(jobs: QueueableJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const tags = await this.tags(jobs);
    if (jobs.length === 1)
      await this.queue.add(RUN_JOB, runJobData(jobs[0]), runJobOptions(jobs[0], tags[0]));
    else
      await this.queue.addBulk(
        jobs.map((job, i) => ({ name: RUN_JOB, data: runJobData(job), opts: runJobOptions(job, tags[i]) })),
      );
  }

  /** Each job's place in its tenant's turn (undefined entries: fair sharing is off, the class decides). */
  private tags(jobs: QueueableJob[]): Promise<(number | undefined)[]> {
    return this.queueTags.of(
      jobs.map((job) => ({
        tenant: job.userId,
        priority: job.priority,
        // Scheduled for later: not among the tenant's waiting jobs until it is due (it keeps its tag).
        id: job.runAt && job.runAt.getTime() > Date.now() ? undefined : job.id,
      })),
    );
  }

  /**
   * A waiting entry moved to `priority` (ahead: it takes another entry's turn, JobSlots); its priority before,
   * or undefined when it is not waiting (gone, delayed, or taken by a worker meanwhile).
   */
  async bringForward(id: string, priority: number): Promise<number | undefined> {
    const entry = await this.queue.getJob(id);
    if (!entry || (await entry.getState()) !== 'prioritized') return undefined;
    const before = Number(entry.priority);
    await entry.changePriority({ priority });
    return before;
  }

  /** A held entry's turn: out of delayed now (JobSlots), or what became of it. */
  wake(id: string): Promise<WakeResult> {
    return queueEntries.wake(this.queue, id);
  }

  /** Admins: no entry starts until resume() (running ones finish); submissions still queue. */
  async pause(): Promise<void> {
    await this.queue.pause();
  }

  async resume(): Promise<void> {
    await this.queue.resume();
  }

  async isPaused(): Promise<boolean> {
    return this.queue.isPaused();
  }

  /**
   * Queues the job again with `attemptsLeft` runs, replacing a finished or waiting entry. False when an
   * attempt still holds the id (active: a cancelled attempt unwinding); the worker running it queues the job
   * once it lets go (see RunJobProcessor), and the reconciler does if that worker dies first.
   */
  async requeue(job: QueueableJob, attemptsLeft: number): Promise<boolean> {
    const entry = await this.queue.getJob(job.id);
    if (entry) {
      if (await entry.isActive()) return false;
      await entry.remove();
    }
    const [tag] = await this.tags([job]);
    await this.queue.add(RUN_JOB, runJobData(job), { ...runJobOptions(job, tag), attempts: attemptsLeft });
    return true;
  }

  /**
   * A waiting job's new priority or start time, changed on its entry in place where BullMQ can, so a job
   * waiting for a retry keeps its attempts left; a waiting entry that must start later is replaced with the
   * attempts it has left. False when a worker has already taken the entry.
   */
  async reschedule(job: QueueableJob, changes: { priority?: JobPriority; runAt?: Date }): Promise<boolean> {
    const entry = await this.queue.getJob(job.id);
    if (!entry) return this.requeue(job, attemptsLeft(job));
    if (await entry.isActive()) return false;
    if (changes.priority) {
      // A new class is a new place in the tenant's turn.
      const [tag] = await this.tags([{ ...job, priority: changes.priority }]);
      await entry.changePriority({ priority: bullPriority(changes.priority, tag) });
    }
    if (!changes.runAt) return true;
    if (await entry.isDelayed()) {
      await entry.changeDelay(Math.max(0, changes.runAt.getTime() - Date.now()));
      return true;
    }
    return this.requeue(job, (entry.opts.attempts ?? 1) - entry.attemptsMade);
  }

  /** Takes a waiting entry out; an active one (locked by its worker) stays, and its worker stops it. */
  async remove(id: string): Promise<void> {
    await this.queue.remove(id).catch(() => 0);
  }

  /** Resolves when the queue's own connection answers (readiness: submissions need it, not only the shared one). */
  async ping(): Promise<void> {
    await this.queue.getJobCounts('wait');
  }

  /** How often the entry's worker died running it, when BullMQ gave it up for that (else undefined). */
  async stallsIfGivenUp(id: string): Promise<number | undefined> {
    const entry = await this.queue.getJob(id);
    if (!entry || entry.failedReason !== STALLED_TOO_OFTEN || (await entry.getState()) !== 'failed')
      return undefined;
    return entry.stalledCounter;
  }

  async state(id: string): Promise<EntryState> {
    const entry = await this.queue.getJob(id);
    return entry ? await entry.getState() : 'missing';
  }
}
