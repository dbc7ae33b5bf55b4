import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { isBackendUnavailable } from '@app/common/http/error-response';
import type { JobView } from '../job-view';
import { JOBS_QUEUE } from '../jobs.queue';
import { describeQueueState, type JobQueueState } from './job-queue-state';
import { QueueCounts } from './queue-counts';
import { QUEUE_POSITION_SOURCE, type QueuePositionSource } from './queue-position-source';

/**
 * A PENDING job's place in line, computed live on every read (never cached with the job): the queue's pause
 * flag from BullMQ, the counts from PostgreSQL, and what the fair scheduler knows through its
 * QueuePositionSource. Null for a job in any other status. With Redis down the read still answers, from
 * PostgreSQL (as GET /api/jobs/:id does): what only Redis knows (the pause flag, the scheduler's view) is then
 * unknown and left out.
 */
@Injectable()
export class QueuePosition {
  constructor(
    @InjectQueue(JOBS_QUEUE) private readonly queue: Queue,
    private readonly counts: QueueCounts,
    @Inject(QUEUE_POSITION_SOURCE) private readonly source: QueuePositionSource,
  ) {}

  async of(job: JobView): Promise<JobQueueState | null> {
    if (job.status !== 'PENDING') return null;
    const [paused, counts, held] = await Promise.all([
      unlessUnavailable(this.queue.isPaused(), false),
      this.counts.of(job),
      unlessUnavailable(this.source.heldBy(job.id, job.userId), null),
    ]);
    return describeQueueState({
      job,
      now: counts.now,
      paused,
      ahead: counts.ahead,
      recentStarts: counts.recentStarts,
      held,
    });
  }
}

/**
 * Redis reads of a GET give up after this: with Redis unreachable its client can take a second or more to
 * fail a command, and a read must answer within its bound from PostgreSQL alone.
 */
export const REDIS_READ_DEADLINE_MS = 250;

/** The answer, or `unknown` when its backend is unreachable or slower than the deadline. */
function unlessUnavailable<T>(answer: Promise<T>, unknown: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(unknown), REDIS_READ_DEADLINE_MS);
  });
  const settled = answer.catch((error: unknown) => {
    if (isBackendUnavailable(error)) return unknown;
    throw error;
  });
  return Promise.race([settled, deadline]).finally(() => clearTimeout(timer));
}
