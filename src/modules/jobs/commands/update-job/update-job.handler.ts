import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { validationError } from '@app/common/http/validation';
import { JobEntity } from '../../entities/job.entity';
import { JobQueue } from '../../job-queue';
import { JobStore } from '../../job-store';
import { toJobView } from '../../job-view';
import { UpdateJobCommand } from './update-job.command';

/**
 * Priority or start time of a PENDING job, on its row and its queue entry together (JobStore.reschedule):
 * if a worker already holds the entry, nothing changes (400).
 */
@CommandHandler(UpdateJobCommand)
export class UpdateJobHandler implements ICommandHandler<UpdateJobCommand> {
  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    private readonly store: JobStore,
    private readonly queue: JobQueue,
  ) {}

  async execute({ userId, jobId, changes }: UpdateJobCommand) {
    if (changes.priority === undefined && changes.runAt === undefined) {
      throw validationError({ body: ['give priority or runAt'] });
    }
    const wanted = { priority: changes.priority, runAt: changes.runAt ? new Date(changes.runAt) : undefined };
    const job = await this.store.reschedule(jobId, userId, wanted, async (changed) => {
      if (!(await this.queue.reschedule(changed, wanted)))
        throw new AppError('INVALID_OPERATION', 'Cannot change job: a worker has just started it.');
    });
    if (job) return toJobView(job);
    const current = await this.jobs.findOneBy({ id: jobId, userId });
    if (!current) throw new AppError('JOB_NOT_FOUND', 'Job not found');
    throw new AppError(
      'INVALID_OPERATION',
      `Cannot change job with status ${current.status}. Only PENDING jobs can be changed.`,
    );
  }
}
