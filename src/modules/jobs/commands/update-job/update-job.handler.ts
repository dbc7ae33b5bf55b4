import { InjectQueue } from '@nestjs/bullmq';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { Job, Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { validationError } from '@app/common/http/validation';
import { JobEntity } from '../../entities/job.entity';
import { JobCache } from '../../job-cache';
import { JobStore } from '../../job-store';
import { toJobView } from '../../job-view';
import { bullPriority, JOBS_QUEUE, RUN_JOB, runJobOptions } from '../../jobs.queue';
import { UpdateJobCommand } from './update-job.command';

/**
 * Priority or start time of a PENDING job. The row stays locked while its queue entry is replaced, so a
 * worker cannot start it half-changed; if a worker already holds it, nothing changes (400).
 */
@CommandHandler(UpdateJobCommand)
export class UpdateJobHandler implements ICommandHandler<UpdateJobCommand> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectQueue(JOBS_QUEUE) private readonly queue: Queue,
    private readonly store: JobStore,
    private readonly cache: JobCache,
  ) {}

  async execute({ userId, jobId, changes }: UpdateJobCommand) {
    if (changes.priority === undefined && changes.runAt === undefined) {
      throw validationError({ body: ['give priority or runAt'] });
    }
    const job = await this.db.transaction(async (tx) => {
      const current = await tx.findOne(JobEntity, {
        where: { id: jobId, userId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current) throw new AppError('JOB_NOT_FOUND', 'Job not found');
      if (current.status !== 'PENDING') {
        throw new AppError(
          'INVALID_OPERATION',
          `Cannot change job with status ${current.status}. Only PENDING jobs can be changed.`,
        );
      }
      const queued = await this.queue.getJob(jobId);
      if (queued && (await queued.isActive())) {
        throw new AppError('INVALID_OPERATION', 'Cannot change job: a worker has just started it.');
      }
      const updated = await this.store.update(
        jobId,
        {
          where: `status = 'PENDING'`,
          set: `priority = COALESCE($2, priority), run_at = COALESCE($3::timestamptz, run_at)`,
          params: [changes.priority ?? null, changes.runAt ? new Date(changes.runAt) : null],
        },
        tx,
      );
      await this.requeue(queued, updated!, changes);
      return updated!;
    });
    await this.cache.invalidate(jobId);
    return toJobView(job);
  }

  /**
   * Changes the queue entry in place where BullMQ can, so a job waiting for a retry keeps its attempt count
   * (and with it the `1 + maxRetries` budget); a waiting entry that must move later is re-added with the
   * attempts it has left.
   */
  private async requeue(queued: Job | undefined, job: JobEntity, changes: UpdateJobCommand['changes']) {
    if (!queued) return void (await this.queue.add(RUN_JOB, { jobId: job.id }, runJobOptions(job)));
    if (changes.priority) await queued.changePriority({ priority: bullPriority(changes.priority) });
    if (!changes.runAt) return;
    const delay = Math.max(0, new Date(changes.runAt).getTime() - Date.now());
    if (await queued.isDelayed()) return void (await queued.changeDelay(delay));
    const attemptsLeft = (queued.opts.attempts ?? 1) - queued.attemptsMade;
    await queued.remove();
    await this.queue.add(RUN_JOB, { jobId: job.id }, { ...runJobOptions(job), attempts: attemptsLeft });
  }
}
