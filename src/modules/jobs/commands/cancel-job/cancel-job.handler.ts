import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { JobEntity } from '../../entities/job.entity';
import { JobCancellation } from '../../job-cancellation';
import { JobQueue } from '../../job-queue';
import { JobStore } from '../../job-store';
import { toJobView } from '../../job-view';
import { CancelJobCommand } from './cancel-job.command';

/**
 * PENDING → CANCELLED and out of the queue; PROCESSING → CANCELLED at once, and the worker running it is told
 * to fire the attempt's AbortSignal (whatever the handler still returns is discarded: the row is terminal).
 */
@CommandHandler(CancelJobCommand)
export class CancelJobHandler implements ICommandHandler<CancelJobCommand> {
  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    private readonly store: JobStore,
    private readonly queue: JobQueue,
    private readonly cancellation: JobCancellation,
  ) {}

  async execute({ userId, jobId }: CancelJobCommand) {
    const cancelled = await this.store.cancel(jobId, userId);
    if (!cancelled) {
      const job = await this.jobs.findOneBy({ id: jobId, userId });
      if (!job) throw new AppError('JOB_NOT_FOUND', 'Job not found');
      throw new AppError(
        'INVALID_OPERATION',
        `Cannot cancel job with status ${job.status}. Only PENDING or PROCESSING jobs can be cancelled.`,
      );
    }
    await this.cancellation.publish(jobId);
    await this.queue.remove(jobId);
    return toJobView(cancelled);
  }
}
