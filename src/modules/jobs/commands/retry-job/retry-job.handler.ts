import { Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { isBackendUnavailable } from '@app/common/http/error-response';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { JobEntity } from '../../entities/job.entity';
import { JobQueue } from '../../job-queue';
import { JobStore } from '../../job-store';
import { toJobView } from '../../job-view';
import { RetryJobCommand } from './retry-job.command';

/** FAILED or CANCELLED → PENDING with attempts, result and error reset, queued again with its whole budget. */
@CommandHandler(RetryJobCommand)
export class RetryJobHandler implements ICommandHandler<RetryJobCommand> {
  private readonly logger = new Logger(RetryJobHandler.name);

  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    private readonly store: JobStore,
    private readonly queue: JobQueue,
  ) {}

  async execute({ userId, jobId, via }: RetryJobCommand) {
    // Once the row is PENDING the retry is made: without Redis, the reconciler queues it when Redis is back.
    const job = await this.store.retry(jobId, userId, via, (reset) =>
      this.queue.requeue(reset, 1 + reset.maxRetries).catch((error: unknown) => {
        if (!isBackendUnavailable(error)) throw error;
        this.logger.warn({ err: error, jobId }, 'Retried job not queued yet: Redis is unavailable');
        return false;
      }),
    );
    if (job) return toJobView(job);
    const existing = await this.jobs.findOneBy(userId ? { id: jobId, userId } : { id: jobId });
    if (!existing) throw new AppError('JOB_NOT_FOUND', 'Job not found');
    throw new AppError(
      'INVALID_OPERATION',
      `Cannot retry job with status ${existing.status}. Only FAILED or CANCELLED jobs can be retried.`,
    );
  }
}
