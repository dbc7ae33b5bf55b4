import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConfigService } from '@nestjs/config';
import type { Env } from '../../../config/env';
import type { JobPriority } from '../job-status';
import { preparedQuery } from '../prepared-query';
import { jobsAheadFairly, jobsAheadInArrivalOrder, type PendingGroup } from './jobs-ahead';

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
 * `groups`: the PENDING jobs due by the time this one is (now, or its own start/retry time), counted per tenant,
 * class and whether they entered the queue before it (ties by id), each tenant with its weight; the order they
 * start in is worked out from these (jobs-ahead.ts). `starts`: the last RECENT_STARTS_CAP attempts started within
 * the window, so that part stays bounded under load. `me` feeds the scan as constants (a scalar subquery), so it
 * is one range of the index of PENDING jobs.
 */
const COUNTS = `
  WITH me AS MATERIALIZED (
    SELECT user_id, priority, ${READY_AT('jobs')} AS ready_at FROM jobs WHERE id = $1 AND status = 'PENDING'),
  recent AS (
    SELECT started_at FROM jobs
     WHERE started_at > now() - make_interval(secs => ${RECENT_STARTS_WINDOW_SECONDS})
     ORDER BY started_at DESC LIMIT ${RECENT_STARTS_CAP}),
  grouped AS (
    SELECT j.user_id, j.priority, (${READY_AT('j')}, j.id) < ((SELECT ready_at FROM me), $1::uuid) AS before,
           count(*)::int AS count
      FROM jobs j
     WHERE j.status = 'PENDING' AND j.id <> $1
       AND ${READY_AT('j')} <= (SELECT GREATEST(now(), ready_at) FROM me)
     GROUP BY 1, 2, 3)
  SELECT
    (SELECT COALESCE(json_agg(json_build_object('tenant', g.user_id, 'weight', u.weight, 'priority', g.priority,
                                                'before', g.before, 'count', g.count)), '[]')
       FROM grouped g JOIN users u ON u.id = g.user_id) AS groups,
    (SELECT u.weight FROM users u WHERE u.id = (SELECT user_id FROM me)) AS weight,
    (SELECT count(*) FROM recent)::int AS starts,
    (SELECT min(started_at) FROM recent) AS oldest_start,
    now() AS now`;

export interface QueueCountsResult {
  ahead: number;
  recentStarts: { count: number; seconds: number };
  now: Date;
}

/** The PostgreSQL side of a job's place in line: one statement, a grouped index range and a bounded count. */
@Injectable()
export class QueueCounts {
  private readonly fairSharing: boolean;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    config: ConfigService<Env, true>,
  ) {
    this.fairSharing = config.get('FAIR_SHARING', { infer: true });
  }

  async of(job: { id: string; userId: string; priority: JobPriority }): Promise<QueueCountsResult> {
    // Prepared: read on every GET of a PENDING job, it is planned once per connection.
    const [row] = await preparedQuery<{
      groups: PendingGroup[];
      weight: number | null;
      starts: number;
      oldest_start: Date | null;
      now: Date;
    }>(this.db, COUNTS, [job.id]);
    const ahead = this.fairSharing
      ? jobsAheadFairly(row.groups, { tenant: job.userId, priority: job.priority, weight: row.weight ?? 1 })
      : jobsAheadInArrivalOrder(row.groups, job.priority);
    return { ahead, recentStarts: recentStarts(row), now: row.now };
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
