import { InjectQueue } from '@nestjs/bullmq';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { StorageUsage } from '../../artifacts/storage-usage';
import { JOB_STATUSES, JobStatus } from '../../job-status';
import { JOBS_QUEUE } from '../../jobs.queue';
import { GetJobStatsQuery } from './get-job-stats.query';

const DAY_MS = 86_400_000;

@QueryHandler(GetJobStatsQuery)
export class GetJobStatsHandler implements IQueryHandler<GetJobStatsQuery> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectQueue(JOBS_QUEUE) private readonly queue: Queue,
    private readonly storage: StorageUsage,
  ) {}

  async execute({ userId }: GetJobStatsQuery) {
    const scope = userId ? 'user_id = $1' : 'TRUE';
    const params = userId ? [userId] : [];
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    const since = new Date(today - 6 * DAY_MS);
    const [statusRows, dayRows, queue, workers, storage] = await Promise.all([
      this.db.query<{ status: JobStatus; count: number }[]>(
        `SELECT status, count(*)::int AS count FROM jobs WHERE ${scope} GROUP BY status`,
        params,
      ),
      this.db.query<{ day: string; done: number; failed: number }[]>(
        `SELECT to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
                count(*) FILTER (WHERE status = 'DONE')::int AS done,
                count(*) FILTER (WHERE status = 'FAILED')::int AS failed
           FROM jobs
          WHERE ${scope} AND finished_at >= $${params.length + 1} AND status IN ('DONE', 'FAILED')
          GROUP BY 1`,
        [...params, since],
      ),
      userId ? this.queueOf(userId) : this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
      this.queue.getWorkersCount(),
      this.storage.of(userId),
    ]);
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const row of statusRows) counts[row.status] = row.count;
    const finished = counts.DONE + counts.FAILED;
    const byDay = new Map(dayRows.map((row) => [row.day, row]));
    const last7Days = Array.from({ length: 7 }, (_, i) => {
      const date = new Date(since.getTime() + i * DAY_MS).toISOString().slice(0, 10);
      return { date, done: byDay.get(date)?.done ?? 0, failed: byDay.get(date)?.failed ?? 0 };
    });
    return {
      counts,
      successRate: finished === 0 ? null : Math.round((counts.DONE / finished) * 10_000) / 100,
      last7Days,
      queue: {
        waiting: queue.waiting ?? 0,
        active: queue.active ?? 0,
        delayed: queue.delayed ?? 0,
        prioritized: queue.prioritized ?? 0,
      },
      workers,
      storage,
      uptimeSeconds: Math.floor(process.uptime()),
    };
  }

  /**
   * A user's own jobs in BullMQ's terms, from PostgreSQL (the shared queue's counts would show everyone's
   * jobs): started, waiting for a time (runAt, retry), or waiting their turn, which BullMQ calls prioritized
   * because every Conveyor job has a priority (so `waiting` stays 0, as in the shared queue).
   */
  private async queueOf(userId: string): Promise<Record<string, number>> {
    const [row] = await this.db.query<{ active: number; delayed: number; prioritized: number }[]>(
      `SELECT count(*) FILTER (WHERE status = 'PROCESSING')::int AS active,
              count(*) FILTER (WHERE status = 'PENDING' AND (run_at > now() OR next_retry_at > now()))::int AS delayed,
              count(*) FILTER (WHERE status = 'PENDING' AND (run_at IS NULL OR run_at <= now())
                                 AND (next_retry_at IS NULL OR next_retry_at <= now()))::int AS prioritized
         FROM jobs WHERE user_id = $1 AND status IN ('PENDING', 'PROCESSING')`,
      [userId],
    );
    return { waiting: 0, ...row };
  }
}
