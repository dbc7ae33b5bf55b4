import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Paginated } from '@app/common/http/paginated';
import { toJobView } from '../../../jobs/job-view';
import { JobSearch } from '../../../jobs/job-search';
import { ListAllJobsQuery } from './list-all-jobs.query';

@QueryHandler(ListAllJobsQuery)
export class ListAllJobsHandler implements IQueryHandler<ListAllJobsQuery> {
  constructor(private readonly search: JobSearch) {}

  async execute({ filter: { page, limit, ...filter } }: ListAllJobsQuery) {
    const [rows, total] = await this.search.page(filter, page, limit);
    return new Paginated(rows.map(toJobView), total, page, limit);
  }
}
