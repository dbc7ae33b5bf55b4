import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { JobEntity } from '../../entities/job.entity';
import { JobCache } from '../../job-cache';
import { JobView, toJobView } from '../../job-view';
import { QueuePosition } from '../../queue-position/queue-position';
import { GetJobQuery } from './get-job.query';

@QueryHandler(GetJobQuery)
export class GetJobHandler implements IQueryHandler<GetJobQuery> {
  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    private readonly cache: JobCache,
    private readonly position: QueuePosition,
  ) {}

  /** The job as cached; its place in line is added live, never cached with it. */
  async execute({ userId, jobId }: GetJobQuery) {
    const job = await this.view(userId, jobId);
    return { ...job, queue: await this.position.of(job) };
  }

  /** The cached view of the user's job (GET /api/jobs/:id/position reads it too). */
  async view(userId: string, jobId: string): Promise<JobView> {
    const job = await this.cache.read(jobId, async () => {
      const row = await this.jobs.findOneBy({ id: jobId });
      return row ? toJobView(row) : undefined;
    });
    // Another user's job is indistinguishable from a missing one.
    if (!job || job.userId !== userId) throw new AppError('JOB_NOT_FOUND', 'Job not found');
    return job;
  }
}
