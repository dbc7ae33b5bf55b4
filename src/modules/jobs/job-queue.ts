import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { JobPriority } from './job-status';
import { attemptsLeft, bullPriority, JOBS_QUEUE, RUN_JOB, RunJobData, runJobOptions } from './jobs.queue';

/** What the queue needs of a job row. */
export interface QueueableJob {
  id: string;
  priority: JobPriority;
  maxRetries: number;
  attempts: number;
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
  constructor(@InjectQueue(JOBS_QUEUE) private readonly queue: Queue<RunJobData>) {}

  /** New rows, each with its whole budget (`1 + maxRetries` runs); one round trip for all of them. */
  async enqueue(jobs: QueueableJob[]): Promise<void> {
    if (jobs.length === 1) await this.queue.add(RUN_JOB, { jobId: jobs[0].id }, runJobOptions(jobs[0]));
    else if (jobs.length > 1)
      await this.queue.addBulk(
        jobs.map((job) => ({ name: RUN_JOB, data: { jobId: job.id }, opts: runJobOptions(job) })),
      );
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
    await this.queue.add(RUN_JOB, { jobId: job.id }, { ...runJobOptions(job), attempts: attemptsLeft });
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
    if (changes.priority) await entry.changePriority({ priority: bullPriority(changes.priority) });
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
