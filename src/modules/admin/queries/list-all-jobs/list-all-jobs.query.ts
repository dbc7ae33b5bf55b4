import { Query } from '@nestjs/cqrs';
import type { Paginated } from '@app/common/http/paginated';
import type { JobView } from '../../../jobs/job-view';
import type { AdminJobsQueryDto } from '../../dto/admin-jobs-query.dto';

/** Every user's jobs, newest first. */
export class ListAllJobsQuery extends Query<Paginated<JobView>> {
  constructor(readonly filter: AdminJobsQueryDto) {
    super();
  }
}
