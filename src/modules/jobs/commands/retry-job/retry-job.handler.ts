import { InjectQueue } from '@nestjs/bullmq';
import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { Repository } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { JobEntity } from '../../entities/job.entity';
import { JobSubmittedEvent } from '../../events/job-submitted.event';
import { JobStore } from '../../job-store';
import { toJobView } from '../../job-view';
import { JOBS_QUEUE, RUN_JOB, runJobOptions } from '../../jobs.queue';
import { RetryJobCommand } from './retry-job.command';

/** FAILED or CANCELLED → PENDING with attempts, result and error reset, enqueued again under its id. */
@CommandHandler(RetryJobCommand)
export class RetryJobHandler implements ICommandHandler<RetryJobCommand> {
  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    @InjectQueue(JOBS_QUEUE) private readonly queue: Queue,
    private readonly store: JobStore,
    private readonly events: EventBus,
  ) {}

  async execute({ userId, jobId, via }: RetryJobCommand) {
    const job = await this.store.update(
      jobId,
      userId
        ? `user_id = :userId AND status IN ('FAILED', 'CANCELLED')`
        : `status IN ('FAILED', 'CANCELLED')`,
      { userId },
      {
        status: 'PENDING',
        attempts: 0,
        progress: 0,
        result: null,
        error: null,
        runAt: null,
        nextRetryAt: null,
        startedAt: null,
        finishedAt: null,
      },
    );
    if (!job) {
      const existing = await this.jobs.findOneBy(userId ? { id: jobId, userId } : { id: jobId });
      if (!existing) throw new AppError('JOB_NOT_FOUND', 'Job not found');
      throw new AppError(
        'INVALID_OPERATION',
        `Cannot retry job with status ${existing.status}. Only FAILED or CANCELLED jobs can be retried.`,
      );
    }
    // The finished queue entry still holds the id; it must go before the id can be queued again.
    await this.queue.remove(jobId).catch(() => 0);
    await this.queue.add(RUN_JOB, { jobId }, runJobOptions(job));
    this.events.publish(new JobSubmittedEvent(toJobView(job), via));
    return toJobView(job);
  }
}
