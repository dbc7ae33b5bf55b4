import type { JobsOptions } from 'bullmq';
import type { JobPriority } from './job-status';

export const JOBS_QUEUE = 'jobs';
export const RUN_JOB = 'run';

/** An entry's data: its job, and what a worker needs of it before the row is read (the owner's cap). */
export interface RunJobData {
  jobId: string;
  /** Absent on entries queued before fair sharing: those run uncapped. */
  userId?: string;
  timeoutMs?: number;
}

/**
 * BullMQ runs lower numbers first. Every job gets one, so all waiting jobs share one ordered set. With fair
 * sharing on, the number is the job's fair-share tag instead (FairShare, in 1..2^21-1).
 */
const PRIORITY: Record<JobPriority, number> = { high: 1, normal: 2, low: 3 };

export const bullPriority = (priority: JobPriority, tag?: number) => tag ?? PRIORITY[priority];

/** Delay before retry n (n = 1, 2, …): 2^n s plus up to a second of jitter (API.md). */
export function retryDelayMs(retry: number, random = Math.random): number {
  return 2 ** retry * 1000 + Math.floor(random() * 1000);
}

/**
 * Runs a job still has: its budget (`1 + maxRetries`) less the attempts it has started, `uncounted` of them
 * given back (a lost attempt does not count); at least one.
 */
export const attemptsLeft = (job: { maxRetries: number; attempts: number }, uncounted = 0) =>
  Math.max(1, 1 + job.maxRetries - job.attempts + uncounted);

/** A queue entry's data. */
export const runJobData = (job: { id: string; userId: string; timeoutMs: number }): RunJobData => ({
  jobId: job.id,
  userId: job.userId,
  timeoutMs: job.timeoutMs,
});

/**
 * Queue options of a job row: its id is the queue id, so enqueuing twice is a no-op. `tag` is its fair-share
 * tag, when fair sharing gave it one.
 */
export function runJobOptions(
  job: { id: string; priority: JobPriority; maxRetries: number; runAt: Date | null },
  tag?: number,
): JobsOptions {
  const delay = job.runAt ? Math.max(0, job.runAt.getTime() - Date.now()) : 0;
  return {
    jobId: job.id,
    priority: bullPriority(job.priority, tag),
    delay,
    attempts: 1 + job.maxRetries,
    backoff: { type: 'conveyor' },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
