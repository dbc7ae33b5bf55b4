import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { toJobView } from '../jobs/job-view';
import { JobFilter, jobFilterWhere } from './job-filter';

/** A row of the jobs table as the jobs module maps it (its entity stays its own). */
export type JobRow = Parameters<typeof toJobView>[0];

/**
 * Searches every user's jobs. The jobs module owns the table; admin reads it by name, as the global stats
 * do. No index covers created_at across users: fine for an operator's queries, not for a hot path.
 */
@Injectable()
export class JobSearch {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A page of matches, newest first, and the number of all matches. */
  page(filter: JobFilter, page: number, limit: number): Promise<[JobRow[], number]> {
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
    return this.db.getRepository<JobRow>('jobs').createQueryBuilder('job').where(where, params);
  }
}
