import { Injectable, Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import { JobEntity } from './entities/job.entity';
import { JobCancelledEvent } from './events/job-cancelled.event';
import { JobFailedEvent } from './events/job-failed.event';
import { JobProgressedEvent } from './events/job-progressed.event';
import { JobQueuedEvent } from './events/job-queued.event';
import { JobRetryScheduledEvent } from './events/job-retry-scheduled.event';
import { JobStartedEvent } from './events/job-started.event';
import { JobSucceededEvent } from './events/job-succeeded.event';
import { JobCache } from './job-cache';
import type { JobPriority, LogLevel } from './job-status';
import { toJobView } from './job-view';
import { preparedQuery } from './prepared-query';
import { GroupCommit } from '@app/common/async/group-commit';
import { StorageQuotaExceededError } from './artifacts/artifact-limits';
import type { JobDraft } from './submission/job-drafts';

/** A line of the job's log written by the change itself; `message` is SQL over the changed row and params. */
interface ChangeLogLine {
  level: LogLevel;
  message: string;
}

/** One conditional change of a job row. The job's id is `$1`; `params` are `$2`, `$3`, … */
interface JobChange {
  /** Conditions besides the id. */
  where: string;
  /** SQL assignments (`updated_at` is always set). */
  set: string;
  params?: unknown[];
  log?: ChangeLogLine[];
}

const of = `attempts, max_retries + 1`;

/** A timestamptz column as JavaScript's toISOString() prints it (the job view's format), in SQL. */
const isoTimestamp = (column: string) =>
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

const SUCCEEDED: ChangeLogLine = {
  level: 'info',
  message: `format('Attempt %s of %s succeeded (status DONE)', ${of})`,
};

const SUCCEED_MANY = `
  WITH changed AS (
    UPDATE jobs SET status = 'DONE', result = p.result, error = NULL, progress = 100, finished_at = now(),
                    webhook_pending = webhook_url IS NOT NULL, updated_at = now()
    FROM unnest($1::uuid[], $2::int[], $3::json[]) AS p(id, attempt, result)
    WHERE jobs.id = p.id AND jobs.status = 'PROCESSING' AND jobs.attempts = p.attempt
    RETURNING jobs.*)
  ${logged([SUCCEEDED])}
  SELECT * FROM changed`;

/**
 * DONE with a kept artifact of $6 bytes, only while its owner's counted bytes (user_storage) plus it stay
 * within $7 bytes; the counter row gains the file in the same statement. The job row is locked first, then
 * its owner's counter row (retention locks in the same order): two finishes of one user serialize on that row,
 * and a locking read returns its latest committed version, so each sees the other's bytes and they cannot both
 * slip under the quota; other users never wait. A user's first counted file inserts the row (`first_file`).
 * One row always: whether the job was still this attempt's, the counter's bytes (null without a row), and
 * the changed job's columns (all null when nothing changed).
 */
const SUCCEED_KEEPING_ARTIFACT = `
  WITH job AS (
    SELECT id, user_id FROM jobs
     WHERE id = $1 AND status = 'PROCESSING' AND attempts = $2 FOR NO KEY UPDATE),
  counter AS (
    SELECT user_storage.user_id, user_storage.used_bytes FROM user_storage JOIN job USING (user_id)
       FOR NO KEY UPDATE OF user_storage),
  added AS (
    UPDATE user_storage SET used_bytes = user_storage.used_bytes + $6, artifacts = user_storage.artifacts + 1
      FROM counter
     WHERE user_storage.user_id = counter.user_id AND counter.used_bytes + $6::bigint <= $7::bigint
    RETURNING user_storage.user_id),
  first_file AS (
    INSERT INTO user_storage (user_id, used_bytes, artifacts)
    SELECT user_id, $6, 1 FROM job WHERE NOT EXISTS (SELECT FROM counter) AND $6::bigint <= $7::bigint
        ON CONFLICT (user_id) DO NOTHING
    RETURNING user_id),
  changed AS (
    UPDATE jobs SET status = 'DONE', result = $3::json, error = NULL, progress = 100, finished_at = now(),
                    webhook_pending = webhook_url IS NOT NULL, artifact_path = $4, artifact_content_type = $5,
                    artifact_bytes = $6, updated_at = now()
      FROM job
     WHERE jobs.id = job.id AND EXISTS (SELECT FROM added UNION ALL SELECT FROM first_file)
    RETURNING jobs.*)
  ${logged([SUCCEEDED])}
  SELECT EXISTS (SELECT FROM job) AS job_locked, (SELECT used_bytes FROM counter)::float8 AS storage_used_bytes,
         changed.*
    FROM (VALUES (1)) AS one LEFT JOIN changed ON true`;

/** A submission's row: a validated draft under a new id, and how it came. */
export type NewJob = JobDraft & { id: string; via: 'api' | 'batch' };

const CREATED_LINES: Record<NewJob['via'], string> = {
  api: 'Job created (type %s, priority %s)',
  batch: 'Job created in a batch (type %s, priority %s)',
};

// Rows as one JSON array (one parameter, whatever their number), each with its "created" log line.
const INSERT_JOBS = `
  WITH draft AS (
    SELECT d.*, CASE d.via WHEN 'batch' THEN '${CREATED_LINES.batch}' ELSE '${CREATED_LINES.api}' END AS line
    FROM json_to_recordset($1::json) AS d(id uuid, "userId" uuid, type text, priority text,
         payload json, "maxRetries" int, "timeoutMs" int, "webhookUrl" text, "runAt" timestamptz,
         "idempotencyKey" text, "requestHash" text, via text)),
  created AS (
    INSERT INTO jobs (id, user_id, type, priority, payload, max_retries, timeout_ms, webhook_url, run_at,
                      idempotency_key, request_hash)
    SELECT id, "userId", type, priority, payload, "maxRetries", "timeoutMs", "webhookUrl", "runAt",
           "idempotencyKey", "requestHash"
    FROM draft
    RETURNING *),
  logged AS (
    INSERT INTO job_logs (job_id, level, message)
    SELECT created.id, 'info', format(draft.line, created.type, created.priority)
           || CASE WHEN run_at IS NULL THEN '' ELSE ', scheduled for ' || ${isoTimestamp('run_at')} END
    FROM created JOIN draft USING (id))
  SELECT * FROM created`;

const REQUEUED_LINES = {
  retry: 'Job re-queued by its owner (attempts reset)',
  replay: 'Job replayed by an admin (attempts reset)',
};

// finished_at has microseconds; the view (and so the delivery's event) carries milliseconds.
const MARK_WEBHOOK_QUEUED = `
  UPDATE jobs SET webhook_pending = false
   WHERE id = $1 AND webhook_pending AND date_trunc('milliseconds', finished_at) = $2`;

// Small batches, each its own short statement that skips rows another transaction holds: it never waits on
// a busy row and never holds many locks. The purged files' bytes go back to their owners' counters in the same
// statement, whose rows are locked in user order (two purges sharing users cannot deadlock), after the jobs'
// as a finish locks them.
// (A CTE, so TypeORM answers the rows as for a SELECT.)
const PURGE_FINISHED = `
  WITH purged AS (
    DELETE FROM jobs WHERE id IN (
      SELECT id FROM jobs
       WHERE status IN ('DONE', 'FAILED', 'CANCELLED') AND finished_at < $1
       ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED)
    RETURNING id, user_id, artifact_bytes),
  freed AS (
    SELECT user_id, sum(artifact_bytes) AS bytes, count(*)::int AS artifacts FROM purged
     WHERE artifact_bytes IS NOT NULL GROUP BY user_id),
  counters AS (
    SELECT user_storage.user_id FROM user_storage JOIN freed USING (user_id)
     ORDER BY user_storage.user_id FOR NO KEY UPDATE OF user_storage),
  given_back AS (
    UPDATE user_storage SET used_bytes = user_storage.used_bytes - freed.bytes,
                            artifacts = user_storage.artifacts - freed.artifacts
      FROM freed JOIN counters USING (user_id)
     WHERE user_storage.user_id = freed.user_id)
  SELECT id FROM purged`;

interface Success {
  id: string;
  attempt: number;
  result: unknown;
}

/** A file an attempt wrote (ArtifactStore.write), to keep with its success if its owner has room. */
export interface KeptArtifact {
  path: string;
  contentType: string;
  bytes: number;
  /** The owner's storage quota (USER_STORAGE_QUOTA_MB) in bytes. */
  quotaBytes: number;
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
    const job = await this.change(id, {
      where: `status = 'PROCESSING' AND attempts = $2`,
      set: `progress = $3`,
      params: [attempt, percent],
    });
    if (job) this.events.publish(new JobProgressedEvent(toJobView(job)));
  }

  /**
   * PROCESSING (this attempt) → DONE. With an artifact, only if it fits in its owner's quota with the artifacts
   * they keep already; if not, nothing changes and it throws StorageQuotaExceededError (with the numbers).
   */
  async succeed(id: string, attempt: number, result: unknown, artifact?: KeptArtifact) {
    const row = artifact
      ? await this.succeedKeeping(id, attempt, result, artifact)
      : await this.successes.submit({ id, attempt, result });
    const job = this.applied(id, row);
    if (job) this.events.publish(new JobSucceededEvent(toJobView(job)));
    return job;
  }

  /**
   * The success with its artifact's bytes added to its owner's counter, in one statement
   * (SUCCEED_KEEPING_ARTIFACT). Run again, once, when the owner had no counter row yet and another finish
   * inserted it meanwhile: the row is then there to lock.
   */
  private async succeedKeeping(id: string, attempt: number, result: unknown, artifact: KeptArtifact) {
    const values = [
      id,
      attempt,
      result == null ? null : JSON.stringify(result),
      artifact.path,
      artifact.contentType,
      artifact.bytes,
      artifact.quotaBytes,
    ];
    for (let run = 1; ; run++) {
      const [row] = await preparedQuery<Row>(this.jobs.manager.connection, SUCCEED_KEEPING_ARTIFACT, values);
      if (row.id != null) return row;
      if (!row.job_locked) return undefined; // the job moved on (cancelled, or a newer attempt)
      const fits = artifact.bytes <= artifact.quotaBytes;
      if (row.storage_used_bytes != null || !fits) {
        const usedBytes = Number(row.storage_used_bytes ?? 0);
        throw new StorageQuotaExceededError(artifact.bytes, usedBytes, artifact.quotaBytes);
      }
      if (run === 2)
        throw new Error(`Storage counter of the owner of job ${id} not found after it was inserted`);
    }
  }

  async scheduleRetry(id: string, attempt: number, error: string, delayMs: number) {
    const job = await this.change(id, {
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
    const job = await this.change(id, {
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

  /**
   * PENDING or PROCESSING → FAILED for a job whose worker died while running it `stalls` times (BullMQ gave its
   * queue entry up): it is never picked up again.
   */
  async quarantine(id: string, stalls: number) {
    return this.fail(id, null, quarantineReason(stalls));
  }

  /** PENDING or PROCESSING → CANCELLED; undefined when the job was in neither (or is not the user's). */
  async cancel(id: string, userId: string) {
    const job = await this.change(id, {
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
   * FAILED or CANCELLED → PENDING with attempts, progress, result, error and the schedule reset (the owner's
   * retry, or an admin's replay when `userId` is null), then `requeue` puts it back in the queue with its
   * whole budget. Undefined when the job was in neither status (or is not the user's).
   */
  async retry(
    id: string,
    userId: string | null,
    via: 'retry' | 'replay',
    requeue: (job: JobEntity) => Promise<unknown>,
  ) {
    const job = await this.change(id, {
      where: `status IN ('FAILED', 'CANCELLED')${userId ? ' AND user_id = $3' : ''}`,
      set: `status = 'PENDING', attempts = 0, progress = 0, result = NULL, error = NULL, run_at = NULL,
            next_retry_at = NULL, started_at = NULL, finished_at = NULL`,
      params: [REQUEUED_LINES[via], ...(userId ? [userId] : [])],
      log: [{ level: 'info', message: '$2' }],
    });
    if (!job) return undefined;
    await requeue(job);
    this.events.publish(new JobQueuedEvent(toJobView(job), via));
    return job;
  }

  /**
   * A PENDING job's priority or start time. The row stays locked (the UPDATE holds it until commit) while
   * `moveEntry` changes its queue entry, so a worker cannot start it half-changed; if `moveEntry` throws, the
   * change is rolled back. Undefined when the job is not PENDING (or not the user's).
   */
  async reschedule(
    id: string,
    userId: string,
    changes: { priority?: JobPriority; runAt?: Date },
    moveEntry: (job: JobEntity) => Promise<void>,
  ) {
    const job = await this.jobs.manager.transaction(async (tx) => {
      const changed = await this.change(
        id,
        {
          where: `user_id = $2 AND status = 'PENDING'`,
          set: `priority = COALESCE($3, priority), run_at = COALESCE($4::timestamptz, run_at)`,
          params: [userId, changes.priority ?? null, changes.runAt ?? null],
        },
        tx,
      );
      if (changed) await moveEntry(changed);
      return changed;
    });
    if (job) this.invalidate(id);
    return job;
  }

  /**
   * PROCESSING (attempt `attempt`, whose queue entry has ended: its worker lost it) → PENDING, then `requeue`
   * queues it again. Undefined when the job has moved on since.
   */
  async requeueLost(id: string, attempt: number, requeue: (job: JobEntity) => Promise<unknown>) {
    const job = await this.change(id, {
      where: `status = 'PROCESSING' AND attempts = $2`,
      set: `status = 'PENDING'`,
      params: [attempt],
      log: [{ level: 'warn', message: `'Repaired by the reconciler: its worker lost the job'` }],
    });
    if (job) await requeue(job);
    return job;
  }

  /**
   * New rows (each with its "created" log line, in the same statement), then `enqueue` queues them. Should
   * that fail, the rows are deleted again before the error is rethrown; should the delete fail too, the
   * PENDING rows stay and the reconciler queues them. Their JobQueuedEvents go out once they are queued.
   */
  async create(drafts: NewJob[], enqueue: (jobs: JobEntity[]) => Promise<void>): Promise<JobEntity[]> {
    const rows = await preparedQuery<Row>(this.jobs.manager.connection, INSERT_JOBS, [
      JSON.stringify(drafts),
    ]);
    const byId = new Map(rows.map((row) => [row.id, this.fromRow(row)]));
    const jobs = drafts.map((draft) => byId.get(draft.id)!);
    try {
      await enqueue(jobs);
    } catch (error) {
      await this.jobs
        .delete({ id: In(drafts.map((draft) => draft.id)) })
        .catch((cleanup: unknown) =>
          this.logger.error(
            { err: cleanup, jobIds: drafts.map((draft) => draft.id) },
            'Could not remove unqueued jobs; the reconciler will enqueue them',
          ),
        );
      throw error;
    }
    for (const [n, draft] of drafts.entries())
      this.events.publish(new JobQueuedEvent(toJobView(jobs[n]), draft.via));
    return jobs;
  }

  /**
   * The outbox: the final event of the finish at `finishedAt` is queued for delivery, so the flag is cleared,
   * for that finish only (a job retried and finished again since has a pending webhook of its own).
   */
  async markWebhookQueued(id: string, finishedAt: string) {
    await preparedQuery(this.jobs.manager.connection, MARK_WEBHOOK_QUEUED, [id, new Date(finishedAt)]);
  }

  /** Retention: up to `limit` finished jobs older than `cutoff` deleted (their logs and deliveries cascade). */
  async purgeFinishedBefore(cutoff: Date, limit: number): Promise<string[]> {
    const rows = await this.jobs.query<{ id: string }[]>(PURGE_FINISHED, [cutoff, limit]);
    const ids = rows.map((row) => row.id);
    if (ids.length > 0) await this.cache.invalidate(...ids);
    return ids;
  }

  /**
   * One conditional `UPDATE … RETURNING *` with its log lines, in one statement; the changed row as an
   * entity, or undefined when the condition did not hold. Outside a transaction the cache is invalidated at
   * once; inside one (`tx`), the caller invalidates after the commit.
   */
  private async change(id: string, change: JobChange, tx?: EntityManager): Promise<JobEntity | undefined> {
    const log = logged(change.log ?? []);
    const text = `WITH changed AS (
        UPDATE jobs SET ${change.set}, updated_at = now() WHERE id = $1 AND ${change.where} RETURNING *)${log}
      SELECT * FROM changed`;
    const values = [id, ...(change.params ?? [])];
    if (tx) {
      const rows = await tx.query<Row[]>(text, values);
      return rows[0] ? this.fromRow(rows[0]) : undefined;
    }
    return this.applied(id, (await preparedQuery<Row>(this.jobs.manager.connection, text, values))[0]);
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

export const quarantineReason = (stalls: number) =>
  `Quarantined: its worker stopped ${stalls} times while running it`;
