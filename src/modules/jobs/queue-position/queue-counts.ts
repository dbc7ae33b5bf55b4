import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JOB_PRIORITIES, type JobPriority } from '../job-status';
import { bullPriority } from '../jobs.queue';
import { preparedQuery } from '../prepared-query';

/**
 * When a PENDING job enters BullMQ's ordered set of waiting jobs: on submission, or once its start time or
 * retry time comes (a promoted entry goes behind those already waiting). The same expression as the index
 * IDX_jobs_pending_queue_order, so the counts below are index range scans.
 */
const READY_AT = (t: string) => `COALESCE(${t}.next_retry_at, GREATEST(${t}.run_at, ${t}.created_at))`;

/** Recent starts counted at most: the rate is then measured over the time those starts took. */
export const RECENT_STARTS_CAP = 100;
export const RECENT_STARTS_WINDOW_SECONDS = 60;

/**
 * `ahead`: PENDING jobs of a higher priority class that are due by the time this one is (now, or its own
 * start/retry time), plus those of its own class that entered the queue before it (ties by id). `starts`:
 * the last RECENT_STARTS_CAP attempts started within the window, so the cost stays bounded under load.
 * `me` feeds the counts through scalar subqueries, as constants: each count is then one range of the index
 * (joined, the planner scans every PENDING row instead).
 */
const COUNTS = `
  WITH me AS MATERIALIZED (
    SELECT priority, ${READY_AT('jobs')} AS ready_at FROM jobs WHERE id = $1 AND status = 'PENDING'),
  recent AS (
    SELECT started_at FROM jobs
     WHERE started_at > now() - make_interval(secs => ${RECENT_STARTS_WINDOW_SECONDS})
     ORDER BY started_at DESC LIMIT ${RECENT_STARTS_CAP})
  SELECT
    (SELECT count(*) FROM jobs j
      WHERE j.status = 'PENDING' AND j.priority = ANY($2::varchar[])
        AND ${READY_AT('j')} <= (SELECT GREATEST(now(), ready_at) FROM me))::int
    + (SELECT count(*) FROM jobs j
      WHERE j.status = 'PENDING' AND j.priority = (SELECT priority FROM me)
        AND (${READY_AT('j')}, j.id) < ((SELECT ready_at FROM me), $1::uuid))::int AS ahead,
    (SELECT count(*) FROM recent)::int AS starts,
    (SELECT min(started_at) FROM recent) AS oldest_start,
    now() AS now`;

export interface QueueCountsResult {
  ahead: number;
  recentStarts: { count: number; seconds: number };
  now: Date;
}

/** The PostgreSQL side of a job's place in line: one statement, two bounded index scans and a count. */
@Injectable()
export class QueueCounts {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async of(jobId: string, priority: JobPriority): Promise<QueueCountsResult> {
    const higher = JOB_PRIORITIES.filter((p) => bullPriority(p) < bullPriority(priority));
    // Prepared: read on every GET of a PENDING job, it is planned once per connection.
    const [row] = await preparedQuery<{
      ahead: number;
      starts: number;
      oldest_start: Date | null;
      now: Date;
    }>(this.db, COUNTS, [jobId, higher]);
    return { ahead: row.ahead, recentStarts: recentStarts(row), now: row.now };
  }
}

/** At the cap, the rate is over the time those starts took; below it, over the whole window. */
export function recentStarts(row: { starts: number; oldest_start: Date | null; now: Date }) {
  if (row.starts >= RECENT_STARTS_CAP && row.oldest_start) {
    const seconds = Math.max(0.001, (row.now.getTime() - row.oldest_start.getTime()) / 1000);
    return { count: row.starts, seconds };
  }
  return { count: row.starts, seconds: RECENT_STARTS_WINDOW_SECONDS };
}
