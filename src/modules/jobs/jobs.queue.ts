import type { JobsOptions } from 'bullmq';
import type { JobPriority } from './job-status';

export const JOBS_QUEUE = 'jobs';
export const RUN_JOB = 'run';

export interface RunJobData {
  jobId: string;
}

/** BullMQ runs lower numbers first. Every job gets one, so all waiting jobs share one ordered set. */
const PRIORITY: Record<JobPriority, number> = { high: 1, normal: 2, low: 3 };

export const bullPriority = (priority: JobPriority) => PRIORITY[priority];

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

/** Queue options of a job row: its id is the queue id, so enqueuing twice is a no-op. */
export function runJobOptions(job: {
  id: string;
  priority: JobPriority;
  maxRetries: number;
  runAt: Date | null;
}): JobsOptions {
  const delay = job.runAt ? Math.max(0, job.runAt.getTime() - Date.now()) : 0;
  return {
    jobId: job.id,
    priority: PRIORITY[job.priority],
    delay,
    attempts: 1 + job.maxRetries,
    backoff: { type: 'conveyor' },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
