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
import { JobSubmittedEvent } from '../events/job-submitted.event';
import { isoTimestamp, JobStore } from '../job-store';
import { toJobView } from '../job-view';
import { JOBS_QUEUE, RUN_JOB, RunJobData, runJobOptions } from '../jobs.queue';
import type { JobDraft } from './job-drafts';

const CREATED_LINES = {
  api: 'Job created (type %s, priority %s)',
  batch: 'Job created in a batch (type %s, priority %s)',
};

const INSERT_JOBS = `
  WITH created AS (
    INSERT INTO jobs (id, user_id, type, priority, payload, max_retries, timeout_ms, webhook_url, run_at,
                      idempotency_key, request_hash)
    SELECT id, "userId", type, priority, payload, "maxRetries", "timeoutMs", "webhookUrl", "runAt",
           "idempotencyKey", "requestHash"
    FROM json_to_recordset($1::json) AS draft(id uuid, "userId" uuid, type text, priority text, payload json,
         "maxRetries" int, "timeoutMs" int, "webhookUrl" text, "runAt" timestamptz, "idempotencyKey" text,
         "requestHash" text)
    RETURNING *),
  logged AS (
    INSERT INTO job_logs (job_id, level, message)
    SELECT id, 'info', format($2, type, priority)
           || CASE WHEN run_at IS NULL THEN '' ELSE ', scheduled for ' || ${isoTimestamp('run_at')} END
    FROM created)
  SELECT * FROM created`;

/**
 * PostgreSQL is the record and the queue the trigger: rows are committed first (so a worker always finds
 * its row), then enqueued under their own ids. If Redis refuses, the rows are deleted again and the caller
 * gets 503; should that delete fail too, the PENDING rows stay and the reconciler enqueues them.
 */
@Injectable()
export class JobEnqueuer {
  private readonly logger = new Logger(JobEnqueuer.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectQueue(JOBS_QUEUE) private readonly queue: Queue<RunJobData>,
    private readonly events: EventBus,
    private readonly store: JobStore,
  ) {}

  async submit(drafts: JobDraft[], via: 'api' | 'batch'): Promise<JobEntity[]> {
    // One statement: all rows or none, with their "created" log lines, ids and defaults returned.
    const rows = drafts.map((draft) => ({ id: randomUUID(), ...draft }));
    const created = await this.db.query<Record<string, unknown>[]>(INSERT_JOBS, [
      JSON.stringify(rows),
      CREATED_LINES[via],
    ]);
    const byId = new Map(created.map((row) => [row.id, this.store.fromRow(row)]));
    const jobs = rows.map((row) => byId.get(row.id)!);
    try {
      await this.enqueue(jobs);
    } catch (error) {
      const ids = jobs.map((job) => job.id);
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
    for (const job of jobs) this.events.publish(new JobSubmittedEvent(toJobView(job), via));
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
