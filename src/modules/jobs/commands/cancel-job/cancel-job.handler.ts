import { InjectQueue } from '@nestjs/bullmq';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { Repository } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { JobEntity } from '../../entities/job.entity';
import { JobCancellation } from '../../job-cancellation';
import { JobStore } from '../../job-store';
import { toJobView } from '../../job-view';
import { JOBS_QUEUE } from '../../jobs.queue';
import { CancelJobCommand } from './cancel-job.command';

/**
 * PENDING → CANCELLED and out of the queue; PROCESSING → CANCELLED at once, and the worker running it is told
 * to fire the attempt's AbortSignal (whatever the handler still returns is discarded: the row is terminal).
 */
@CommandHandler(CancelJobCommand)
export class CancelJobHandler implements ICommandHandler<CancelJobCommand> {
  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    @InjectQueue(JOBS_QUEUE) private readonly queue: Queue,
    private readonly store: JobStore,
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
    // An active (locked) queue job cannot be removed; its worker aborts it and completes it instead.
    await this.queue.remove(jobId).catch(() => 0);
    return toJobView(cancelled);
  }
}
