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

/** The answer, or `unknown` when its backend is unreachable. */
function unlessUnavailable<T>(answer: Promise<T>, unknown: T): Promise<T> {
  return answer.catch((error: unknown) => {
    if (isBackendUnavailable(error)) return unknown;
    throw error;
  });
}
