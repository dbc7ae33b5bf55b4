import { Injectable, Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { JobEntity } from './entities/job.entity';
import { JobCancelledEvent } from './events/job-cancelled.event';
import { JobFailedEvent } from './events/job-failed.event';
import { JobProgressedEvent } from './events/job-progressed.event';
import { JobRetryScheduledEvent } from './events/job-retry-scheduled.event';
import { JobStartedEvent } from './events/job-started.event';
import { JobSucceededEvent } from './events/job-succeeded.event';
import { JobCache } from './job-cache';
import type { LogLevel } from './job-status';
import { toJobView } from './job-view';
import { preparedQuery } from './prepared-query';
import { GroupCommit } from '@app/common/async/group-commit';

/** A line of the job's log written by the change itself; `message` is SQL over the changed row and params. */
export interface ChangeLogLine {
  level: LogLevel;
  message: string;
}

/** One conditional change of a job row. The job's id is `$1`; `params` are `$2`, `$3`, … */
export interface JobChange {
  /** Conditions besides the id. */
  where: string;
  /** SQL assignments (`updated_at` is always set). */
  set: string;
  params?: unknown[];
  log?: ChangeLogLine[];
}

const of = `attempts, max_retries + 1`;

/** A timestamptz column as JavaScript's toISOString() prints it (the job view's format), in SQL. */
export const isoTimestamp = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

type Row = Record<string, unknown>;

/** The CTE writing the log lines of every row in `changed`, in the order given (appended to a statement). */
function logged(lines: ChangeLogLine[]): string {
  if (lines.length === 0) return '';
  const values = lines.map(({ level, message }, n) => `(${n}, '${level}', ${message})`).join(', ');
  return `, logged AS (
    INSERT INTO job_logs (job_id, level, message)
    SELECT changed.id, line.level, line.message
    FROM changed CROSS JOIN LATERAL (VALUES ${values}) AS line(n, level, message)
    ORDER BY line.n)`;
}

// The two changes every job makes, for many jobs at once (see GroupCommit): arrays in, one row per job that
// changed out. Same conditions and log lines as one job's change would have.
const START_MANY = `
  WITH changed AS (
    UPDATE jobs SET status = 'PROCESSING', attempts = attempts + 1, attempts_total = attempts_total + 1,
                    started_at = now(), next_retry_at = NULL, progress = 0, updated_at = now()
    FROM unnest($1::uuid[]) AS p(id)
    WHERE jobs.id = p.id AND jobs.status IN ('PENDING', 'PROCESSING')
    RETURNING jobs.*)
  ${logged([{ level: 'info', message: `format('Attempt %s of %s started (status PROCESSING)', ${of})` }])}
  SELECT * FROM changed`;

const SUCCEED_MANY = `
  WITH changed AS (
    UPDATE jobs SET status = 'DONE', result = p.result, error = NULL, progress = 100, finished_at = now(),
                    webhook_pending = webhook_url IS NOT NULL,
                    artifact_path = COALESCE(p.artifact_path, jobs.artifact_path),
                    artifact_content_type = COALESCE(p.artifact_content_type, jobs.artifact_content_type),
                    updated_at = now()
    FROM unnest($1::uuid[], $2::int[], $3::json[], $4::text[], $5::text[])
         AS p(id, attempt, result, artifact_path, artifact_content_type)
    WHERE jobs.id = p.id AND jobs.status = 'PROCESSING' AND jobs.attempts = p.attempt
    RETURNING jobs.*)
  ${logged([{ level: 'info', message: `format('Attempt %s of %s succeeded (status DONE)', ${of})` }])}
  SELECT * FROM changed`;

interface Success {
  id: string;
  attempt: number;
  result: unknown;
  artifact?: { path: string; contentType: string };
}

/**
 * A batch's jobs in id order: every batch then locks its rows in the same order, so two batches that share
 * rows (a stalled job started again elsewhere) wait for each other instead of deadlocking.
 */
const inIdOrder = <T>(items: T[], id: (item: T) => string) =>
  [...items].sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));

/** Statements per batch at most: one array parameter per column keeps it far below any protocol limit. */
const MAX_BATCH = 500;

/**
 * Every status change of a job, each one a single conditional UPDATE: a CANCELLED job never becomes DONE,
 * and a late attempt (`attempts` moved on) cannot overwrite a newer one. The change's log lines are written
 * by the same statement, so no crash can leave a DONE job without its "succeeded" line, and a worker pays one
 * round trip per change — shared with the other jobs starting or finishing at the same moment, for the two
 * changes every job makes (GroupCommit). A change that applies invalidates the cache before its event is
 * published, so a read right after never shows the old state.
 */
@Injectable()
export class JobStore {
  private readonly logger = new Logger(JobStore.name);

  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    private readonly cache: JobCache,
    private readonly events: EventBus,
  ) {}

  private readonly starts = new GroupCommit<string, Row | undefined>(
    (ids) => this.many(START_MANY, [inIdOrder(ids, (id) => id)], ids),
    { maxBatch: MAX_BATCH, key: (id) => id },
  );

  private readonly successes = new GroupCommit<Success, Row | undefined>(
    (all) => {
      const sorted = inIdOrder(all, (s) => s.id);
      return this.many(
        SUCCEED_MANY,
        [
          sorted.map((s) => s.id),
          sorted.map((s) => s.attempt),
          sorted.map((s) => (s.result == null ? null : JSON.stringify(s.result))),
          sorted.map((s) => s.artifact?.path ?? null),
          sorted.map((s) => s.artifact?.contentType ?? null),
        ],
        all.map((s) => s.id),
      );
    },
    { maxBatch: MAX_BATCH, key: (s) => s.id },
  );

  /** PENDING (or PROCESSING left by a dead worker) → PROCESSING, counting the attempt. */
  async start(id: string) {
    const job = this.applied(id, await this.starts.submit(id));
    if (job) this.events.publish(new JobStartedEvent(toJobView(job)));
    return job;
  }

  async progress(id: string, attempt: number, percent: number) {
    const job = await this.update(id, {
      where: `status = 'PROCESSING' AND attempts = $2`,
      set: `progress = $3`,
      params: [attempt, percent],
    });
    if (job) this.events.publish(new JobProgressedEvent(toJobView(job)));
  }

  async succeed(
    id: string,
    attempt: number,
    result: unknown,
    artifact?: { path: string; contentType: string },
  ) {
    const job = this.applied(id, await this.successes.submit({ id, attempt, result, artifact }));
    if (job) this.events.publish(new JobSucceededEvent(toJobView(job)));
    return job;
  }

  async scheduleRetry(id: string, attempt: number, error: string, delayMs: number) {
    const job = await this.update(id, {
      where: `status = 'PROCESSING' AND attempts = $2`,
      set: `status = 'PENDING', error = $3,
            next_retry_at = now() + make_interval(secs => $4::double precision)`,
      params: [attempt, error, delayMs / 1000],
      log: [
        { level: 'warn', message: `format('Attempt %s of %s failed: %s', ${of}, error)` },
        {
          level: 'info',
          message: `format('Retry scheduled at %s (status PENDING)', ${isoTimestamp('next_retry_at')})`,
        },
      ],
    });
    if (job) this.events.publish(new JobRetryScheduledEvent(toJobView(job)));
    return job;
  }

  async fail(id: string, attempt: number | null, error: string) {
    const job = await this.update(id, {
      where:
        attempt === null ? `status IN ('PENDING', 'PROCESSING')` : `status = 'PROCESSING' AND attempts = $3`,
      set: `status = 'FAILED', error = $2, next_retry_at = NULL, finished_at = now(),
            webhook_pending = webhook_url IS NOT NULL`,
      params: attempt === null ? [error] : [error, attempt],
      log: [
        { level: 'error', message: `format('Attempt %s of %s failed: %s', ${of}, error)` },
        { level: 'error', message: `format('Job failed after %s attempt(s) (status FAILED)', attempts)` },
      ],
    });
    if (job) this.events.publish(new JobFailedEvent(toJobView(job)));
    return job;
  }

  /** PENDING or PROCESSING → CANCELLED; undefined when the job was in neither (or is not the user's). */
  async cancel(id: string, userId: string) {
    const job = await this.update(id, {
      where: `user_id = $2 AND status IN ('PENDING', 'PROCESSING')`,
      set: `status = 'CANCELLED', next_retry_at = NULL, finished_at = now(),
            webhook_pending = webhook_url IS NOT NULL`,
      params: [userId],
      log: [{ level: 'warn', message: `'Job cancelled (status CANCELLED)'` }],
    });
    if (job) this.events.publish(new JobCancelledEvent(toJobView(job)));
    return job;
  }

  /**
   * One conditional `UPDATE … RETURNING *` with its log lines, in one statement; the changed row as an
   * entity, or undefined when the condition did not hold. Runs in `manager` when given (to join a caller's
   * transaction; the caller then invalidates).
   */
  async update(id: string, change: JobChange, manager?: EntityManager): Promise<JobEntity | undefined> {
    const log = logged(change.log ?? []);
    const text = `WITH changed AS (
        UPDATE jobs SET ${change.set}, updated_at = now() WHERE id = $1 AND ${change.where} RETURNING *)${log}
      SELECT * FROM changed`;
    const values = [id, ...(change.params ?? [])];
    const rows = manager
      ? await manager.query<Row[]>(text, values)
      : await preparedQuery<Row>(this.jobs.manager.connection, text, values);
    if (!manager) return this.applied(id, rows[0]);
    return rows[0] ? this.fromRow(rows[0]) : undefined;
  }

  /** One statement for many jobs: each job's changed row, or undefined where its condition did not hold. */
  private async many(text: string, values: unknown[], ids: string[]): Promise<(Row | undefined)[]> {
    const rows = await preparedQuery<Row>(this.jobs.manager.connection, text, values);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id));
  }

  /**
   * A committed change outside a caller's transaction: the cache is invalidated, not awaited. The
   * invalidation is written to Redis before the change's realtime events, on the same connection
   * (RealtimePublisher shares it), so a client that hears of the change and reads it is served after the
   * invalidation without this process waiting a round trip for it.
   */
  private applied(id: string, row: Row | undefined): JobEntity | undefined {
    if (!row) return undefined;
    this.invalidate(id);
    return this.fromRow(row);
  }

  /**
   * The change is committed: its event must go out even if Redis is unreachable right now, so a failed
   * invalidation is retried in the background instead of failing the transition.
   */
  private invalidate(id: string) {
    this.cache.invalidate(id).catch((error: unknown) => {
      this.logger.warn({ err: error, jobId: id }, 'Cache not invalidated; retrying in the background');
      setTimeout(() => void this.cache.invalidate(id).catch(() => undefined), 1000).unref();
    });
  }

  /** A raw `jobs` row (snake_case) as an entity. */
  fromRow(row: Record<string, unknown>): JobEntity {
    const job = this.jobs.create();
    for (const column of this.jobs.metadata.columns) {
      (job as unknown as Record<string, unknown>)[column.propertyName] = row[column.databaseName];
    }
    return job;
  }
}
