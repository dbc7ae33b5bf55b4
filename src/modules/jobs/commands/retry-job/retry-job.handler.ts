import { InjectQueue } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { setTimeout } from 'node:timers/promises';
import { Repository } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { JobEntity } from '../../entities/job.entity';
import { JobQueuedEvent } from '../../events/job-queued.event';
import { JobStore } from '../../job-store';
import { toJobView } from '../../job-view';
import { JOBS_QUEUE, RUN_JOB, runJobOptions } from '../../jobs.queue';
import { RetryJobCommand } from './retry-job.command';

/** FAILED or CANCELLED → PENDING with attempts, result and error reset, enqueued again under its id. */
const ACTIVE_WAIT_MS = 10_000;

const REQUEUED_LINES: Record<RetryJobCommand['via'], string> = {
  retry: 'Job re-queued by its owner (attempts reset)',
  replay: 'Job replayed by an admin (attempts reset)',
};

@CommandHandler(RetryJobCommand)
export class RetryJobHandler implements ICommandHandler<RetryJobCommand> {
  private readonly logger = new Logger(RetryJobHandler.name);

  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    @InjectQueue(JOBS_QUEUE) private readonly queue: Queue,
    private readonly store: JobStore,
    private readonly events: EventBus,
  ) {}

  async execute({ userId, jobId, via }: RetryJobCommand) {
    const job = await this.store.update(jobId, {
      where: `status IN ('FAILED', 'CANCELLED')${userId ? ' AND user_id = $3' : ''}`,
      set: `status = 'PENDING', attempts = 0, progress = 0, result = NULL, error = NULL, run_at = NULL,
            next_retry_at = NULL, started_at = NULL, finished_at = NULL`,
      params: [REQUEUED_LINES[via], ...(userId ? [userId] : [])],
      log: [{ level: 'info', message: '$2' }],
    });
    if (!job) {
      const existing = await this.jobs.findOneBy(userId ? { id: jobId, userId } : { id: jobId });
      if (!existing) throw new AppError('JOB_NOT_FOUND', 'Job not found');
      throw new AppError(
        'INVALID_OPERATION',
        `Cannot retry job with status ${existing.status}. Only FAILED or CANCELLED jobs can be retried.`,
      );
    }
    await this.freeQueueId(jobId);
    await this.queue.add(RUN_JOB, { jobId }, runJobOptions(job));
    this.events.publish(new JobQueuedEvent(toJobView(job), via));
    return toJobView(job);
  }

  /**
   * The old queue entry still holds the job's id, and adding under a held id is a no-op. A finished entry is
   * removed at once; an active one (a cancelled attempt still unwinding) is waited for. Should it outlast
   * the wait, the row is PENDING without a queue entry, which the reconciler repairs.
   */
  private async freeQueueId(jobId: string) {
    const deadline = Date.now() + ACTIVE_WAIT_MS;
    for (let queued = await this.queue.getJob(jobId); queued; queued = await this.queue.getJob(jobId)) {
      if (!(await queued.isActive())) return void (await queued.remove().catch(() => undefined));
      if (Date.now() > deadline)
        return this.logger.warn({ jobId }, 'Old attempt still active; the reconciler will queue the retry');
      await setTimeout(50);
    }
  }
}
