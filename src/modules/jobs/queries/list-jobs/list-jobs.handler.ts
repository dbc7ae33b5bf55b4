import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Between, FindOptionsWhere, LessThanOrEqual, MoreThanOrEqual, Repository } from 'typeorm';
import { Paginated } from '@app/common/http/paginated';
import { JobEntity } from '../../entities/job.entity';
import { toJobView } from '../../job-view';
import { ListJobsQuery } from './list-jobs.query';

/** The caller's jobs, newest first (served by the (user_id, [status|type,] created_at) indexes). */
@QueryHandler(ListJobsQuery)
export class ListJobsHandler implements IQueryHandler<ListJobsQuery> {
  constructor(@InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>) {}

  async execute({ userId, filter }: ListJobsQuery) {
    const { page, limit, status, type, from, to } = filter;
    const where: FindOptionsWhere<JobEntity> = { userId };
    if (status) where.status = status;
    if (type) where.type = type;
    if (from && to) where.createdAt = Between(new Date(from), new Date(to));
    else if (from) where.createdAt = MoreThanOrEqual(new Date(from));
    else if (to) where.createdAt = LessThanOrEqual(new Date(to));
    const [rows, total] = await this.jobs.findAndCount({
      where,
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: (page - 1) * limit,
      take: limit,
    });
    return new Paginated(rows.map(toJobView), total, page, limit);
  }
}
