import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { JobEntity } from '../../entities/job.entity';
import { ListUserJobIdsQuery } from './list-user-job-ids.query';

@QueryHandler(ListUserJobIdsQuery)
export class ListUserJobIdsHandler implements IQueryHandler<ListUserJobIdsQuery> {
  constructor(@InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>) {}

  async execute({ userId }: ListUserJobIdsQuery) {
    const rows = await this.jobs.find({ select: { id: true }, where: { userId } });
    return rows.map((row) => row.id);
  }
}
