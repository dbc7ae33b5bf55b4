import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobEntity } from './entities/job.entity';
import { JobFilter, jobFilterWhere } from './job-filter';

/**
 * Searches jobs by a filter: a user's own list (userId set, served by the (user_id, [status|type,]
 * created_at) indexes) and the admin's search across users (no index covers created_at across users:
 * fine for an operator's queries, not for a hot path).
 */
@Injectable()
export class JobSearch {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A page of matches, newest first, and the number of all matches. */
  page(filter: JobFilter, page: number, limit: number): Promise<[JobEntity[], number]> {
    return this.matching(filter)
      .orderBy('job.createdAt', 'DESC')
      .addOrderBy('job.id', 'DESC')
      .offset((page - 1) * limit)
      .limit(limit)
      .getManyAndCount();
  }

  count(filter: JobFilter): Promise<number> {
    return this.matching(filter).getCount();
  }

  /** The ids of the `limit` oldest matches. */
  async oldestIds(filter: JobFilter, limit: number): Promise<string[]> {
    const rows = await this.matching(filter)
      .select('job.id', 'id')
      .orderBy('job.createdAt', 'ASC')
      .addOrderBy('job.id', 'ASC')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }

  private matching(filter: JobFilter) {
    const { where, params } = jobFilterWhere(filter);
    return this.db.getRepository(JobEntity).createQueryBuilder('job').where(where, params);
  }
}
