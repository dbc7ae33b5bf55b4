import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AppError } from '@app/common/errors/app-error';
import { isBackendUnavailable } from '@app/common/http/error-response';
import { JobEntity } from '../entities/job.entity';
import { JobSubmittedEvent } from '../events/job-submitted.event';
import { toJobView } from '../job-view';
import { JOBS_QUEUE, RUN_JOB, RunJobData, runJobOptions } from '../jobs.queue';
import type { JobDraft } from './job-drafts';

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
  ) {}

  async submit(drafts: JobDraft[], via: 'api' | 'batch'): Promise<JobEntity[]> {
    // One multi-row INSERT: atomic by itself (all rows or none), one round trip, ids and defaults returned.
    const repository = this.db.getRepository(JobEntity);
    const jobs = drafts.map((draft) => repository.create(draft));
    await repository.insert(jobs as QueryDeepPartialEntity<JobEntity>[]);
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
