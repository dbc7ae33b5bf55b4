/** Why a PENDING job has not started: the `queue` of GET /api/jobs/:id and GET /api/jobs/:id/position. */
export const QUEUE_STATES = ['waiting', 'delayed', 'retry-scheduled', 'held', 'paused'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export interface JobQueueState {
  state: QueueState;
  /** Jobs expected to start before this one (0: it is next). */
  ahead: number;
  /** Its place in line, counting from 1: `ahead + 1`. */
  position: number;
  reason: string;
  /** ISO time; null when unknown (no recent starts, a paused queue, a held job). */
  estimatedStartAt: string | null;
}

/** What the state is computed from: the job's row, the queue, the counts and, once wired, FairShare. */
export interface QueueStateInputs {
  job: {
    attempts: number;
    maxRetries: number;
    error: string | null;
    runAt: string | null;
    nextRetryAt: string | null;
  };
  now: Date;
  paused: boolean;
  ahead: number;
  /** Attempts started over the last `seconds` (capped: see QueueCounts). 0: no recent start, no estimate. */
  recentStarts: { count: number; seconds: number };
  /** Set when the user's concurrency cap holds the job back. */
  held: { running: number; limit: number } | null;
}

const ERROR_IN_REASON = 200;

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The later of the job's scheduled start and retry time, when it is still ahead of `now`. */
function scheduledFor(job: QueueStateInputs['job'], now: Date): { at: Date; retry: boolean } | null {
  const retry = job.nextRetryAt ? new Date(job.nextRetryAt) : null;
  if (retry && retry > now) return { at: retry, retry: true };
  const runAt = job.runAt ? new Date(job.runAt) : null;
  if (runAt && runAt > now) return { at: runAt, retry: false };
  return null;
}

/**
 * When the job is expected to start: `now + position × (seconds / count)`, the recent start rate applied to
 * its place in line; never before its scheduled time. Without recent starts only a scheduled time is known.
 */
export function estimateStart(
  now: Date,
  position: number,
  recentStarts: QueueStateInputs['recentStarts'],
  notBefore: Date | null = null,
): Date | null {
  if (recentStarts.count <= 0) return notBefore;
  const msPerStart = (recentStarts.seconds * 1000) / recentStarts.count;
  const byRate = new Date(now.getTime() + Math.round(position * msPerStart));
  return notBefore && notBefore > byRate ? notBefore : byRate;
}

function shortError(error: string | null) {
  if (!error) return 'an unknown error';
  const line = error.replace(/\s+/g, ' ').trim();
  return line.length > ERROR_IN_REASON ? `${line.slice(0, ERROR_IN_REASON - 1)}…` : line;
}

/**
 * The state, in this order: a paused queue stops everything; a job not yet due is retry-scheduled or delayed;
 * a due job is held by its user's cap or waiting.
 */
export function describeQueueState(inputs: QueueStateInputs): JobQueueState {
  const { job, now, ahead } = inputs;
  const position = ahead + 1;
  const scheduled = scheduledFor(job, now);
  const at = (state: JobQueueState['state'], reason: string, estimate: Date | null) => ({
    state,
    ahead,
    position,
    reason,
    estimatedStartAt: estimate ? estimate.toISOString() : null,
  });

  if (inputs.paused) return at('paused', 'Paused: an admin paused the queue.', null);
  if (scheduled?.retry) {
    const reason = `Retry ${job.attempts} of ${job.maxRetries} at ${scheduled.at.toISOString()} after: ${shortError(job.error).replace(/\.$/, '')}.`;
    return at('retry-scheduled', reason, estimateStart(now, position, inputs.recentStarts, scheduled.at));
  }
  if (scheduled) {
    const reason = `Scheduled for ${scheduled.at.toISOString()}.`;
    return at('delayed', reason, estimateStart(now, position, inputs.recentStarts, scheduled.at));
  }
  if (inputs.held) {
    const { running, limit } = inputs.held;
    const reason = `Held: ${plural(running, 'of your jobs is', 'of your jobs are')} running (your limit is ${limit}).`;
    return at('held', reason, null);
  }
  const reason =
    ahead === 0
      ? 'Waiting: it is next in line.'
      : `Waiting: ${plural(ahead, 'job is', 'jobs are')} ahead of it.`;
  return at('waiting', reason, estimateStart(now, position, inputs.recentStarts));
}
