import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { JobLogEntity } from '../../entities/job-log.entity';
import { JobEntity } from '../../entities/job.entity';
import { GetJobLogsQuery } from './get-job-logs.query';

/** The job's log in the order it was written. */
@QueryHandler(GetJobLogsQuery)
export class GetJobLogsHandler implements IQueryHandler<GetJobLogsQuery> {
  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    @InjectRepository(JobLogEntity) private readonly logs: Repository<JobLogEntity>,
  ) {}

  async execute({ userId, jobId }: GetJobLogsQuery) {
    if (!(await this.jobs.existsBy({ id: jobId, userId })))
      throw new AppError('JOB_NOT_FOUND', 'Job not found');
    const lines = await this.logs.find({ where: { jobId }, order: { seq: 'ASC' } });
    return lines.map(({ id, level, message, createdAt }) => ({
      id,
      jobId,
      level,
      message,
      createdAt: createdAt.toISOString(),
    }));
  }
}
