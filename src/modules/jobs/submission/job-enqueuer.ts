import { InjectQueue } from '@nestjs/bullmq';
import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource, In } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { isBackendUnavailable } from '@app/common/http/error-response';
import { JobEntity } from '../entities/job.entity';
import { JobQueuedEvent } from '../events/job-queued.event';
import { isoTimestamp, JobStore } from '../job-store';
import { toJobView } from '../job-view';
import { preparedQuery } from '../prepared-query';
import { GroupCommit } from '@app/common/async/group-commit';
import { JOBS_QUEUE, RUN_JOB, RunJobData, runJobOptions } from '../jobs.queue';
import type { JobDraft } from './job-drafts';

const CREATED_LINES = {
  api: 'Job created (type %s, priority %s)',
  batch: 'Job created in a batch (type %s, priority %s)',
};

// Rows as one JSON array (one parameter, whatever their number), each with its "created" log line.
const INSERT_JOBS = `
  WITH draft AS (
    SELECT * FROM json_to_recordset($1::json) AS d(id uuid, "userId" uuid, type text, priority text,
         payload json, "maxRetries" int, "timeoutMs" int, "webhookUrl" text, "runAt" timestamptz,
         "idempotencyKey" text, "requestHash" text, line text)),
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

interface Submission {
  drafts: JobDraft[];
  via: 'api' | 'batch';
}

/** Submissions (not rows) per shared statement at most: a batch request brings up to 100 rows. */
const MAX_SUBMISSIONS = 50;

/**
 * PostgreSQL is the record and the queue the trigger: rows are committed first (so a worker always finds
 * its row), then enqueued under their own ids. If Redis refuses, the rows are deleted again and the caller
 * gets 503; should that delete fail too, the PENDING rows stay and the reconciler enqueues them.
 *
 * Submissions that arrive while another is being written share its next INSERT and queue add (GroupCommit):
 * under load a request pays a share of two round trips, not two. They succeed or fail together, which each
 * would have done alone too: their rows were validated, so what can fail is PostgreSQL or Redis. A submission
 * with an idempotency key goes alone, as its unique index may refuse it (and only it).
 */
@Injectable()
export class JobEnqueuer {
  private readonly logger = new Logger(JobEnqueuer.name);
  private readonly shared = new GroupCommit<Submission, JobEntity[]>((all) => this.write(all), {
    maxBatch: MAX_SUBMISSIONS,
  });

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectQueue(JOBS_QUEUE) private readonly queue: Queue<RunJobData>,
    private readonly events: EventBus,
    private readonly store: JobStore,
  ) {}

  async submit(drafts: JobDraft[], via: 'api' | 'batch'): Promise<JobEntity[]> {
    const submission = { drafts, via };
    const jobs = drafts.some((draft) => draft.idempotencyKey)
      ? (await this.write([submission]))[0]
      : await this.shared.submit(submission);
    for (const job of jobs) this.events.publish(new JobQueuedEvent(toJobView(job), via));
    return jobs;
  }

  /** One INSERT (all rows or none) and one queue add for all the submissions; their jobs, each in order. */
  private async write(submissions: Submission[]): Promise<JobEntity[][]> {
    const rows = submissions.map(({ drafts, via }) =>
      drafts.map((draft) => ({ id: randomUUID(), ...draft, line: CREATED_LINES[via] })),
    );
    const created = await preparedQuery<Record<string, unknown>>(this.db, INSERT_JOBS, [
      JSON.stringify(rows.flat()),
    ]);
    const byId = new Map(created.map((row) => [row.id, this.store.fromRow(row)]));
    const jobs = rows.map((submitted) => submitted.map((row) => byId.get(row.id)!));
    try {
      await this.enqueue(jobs.flat());
    } catch (error) {
      const ids = rows.flat().map((row) => row.id);
      await this.db
        .getRepository(JobEntity)
        .delete({ id: In(ids) })
        .catch((cleanup: unknown) =>
          this.logger.error(
            { err: cleanup, jobIds: ids },
            'Could not remove unqueued jobs; the reconciler will enqueue them',
          ),
        );
      if (isBackendUnavailable(error))
        throw new AppError(
          'SERVICE_UNAVAILABLE',
          'The job queue is unavailable. Nothing was submitted; try again shortly.',
        );
      throw error;
    }
    return jobs;
  }

  async enqueue(jobs: JobEntity[]) {
    if (jobs.length === 1) await this.queue.add(RUN_JOB, { jobId: jobs[0].id }, runJobOptions(jobs[0]));
    else
      await this.queue.addBulk(
        jobs.map((job) => ({ name: RUN_JOB, data: { jobId: job.id }, opts: runJobOptions(job) })),
      );
  }
}
