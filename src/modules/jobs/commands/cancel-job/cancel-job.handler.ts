import { Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { isBackendUnavailable } from '@app/common/http/error-response';
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
  private readonly logger = new Logger(CancelJobHandler.name);

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
    // The cancel is made (the row is CANCELLED, and no attempt can finish it otherwise); what follows only
    // saves work. Without Redis, the running attempt goes on to its end unheard and its outcome is discarded,
    // and the queue entry, when it comes up, finds nothing to run.
    await this.cancellation.publish(jobId).catch((error: unknown) => {
      if (!isBackendUnavailable(error)) throw error;
      this.logger.warn({ err: error, jobId }, 'Cancel not announced to the workers: Redis is unavailable');
    });
    await this.queue.remove(jobId);
    return toJobView(cancelled);
  }
}
