import { Query } from '@nestjs/cqrs';
import type { Paginated } from '@app/common/http/paginated';
import type { ListJobsQueryDto } from '../../dto/job-queries.dto';
import type { JobView } from '../../job-view';

export class ListJobsQuery extends Query<Paginated<JobView>> {
  constructor(
    readonly userId: string,
    readonly filter: ListJobsQueryDto,
  ) {
    super();
  }
}
