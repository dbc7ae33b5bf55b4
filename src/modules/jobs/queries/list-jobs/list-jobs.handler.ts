import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Paginated } from '@app/common/http/paginated';
import { JobSearch } from '../../job-search';
import { toJobView } from '../../job-view';
import { ListJobsQuery } from './list-jobs.query';

/** The caller's jobs, newest first. */
@QueryHandler(ListJobsQuery)
export class ListJobsHandler implements IQueryHandler<ListJobsQuery> {
  constructor(private readonly search: JobSearch) {}

  async execute({ userId, filter }: ListJobsQuery) {
    const { page, limit, status, type, from, to } = filter;
    const [rows, total] = await this.search.page({ userId, status, type, from, to }, page, limit);
    return new Paginated(rows.map(toJobView), total, page, limit);
  }
}
