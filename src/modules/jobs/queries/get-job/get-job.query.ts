import { Query } from '@nestjs/cqrs';
import type { JobView } from '../../job-view';

export class GetJobQuery extends Query<JobView> {
  constructor(
    readonly userId: string,
    readonly jobId: string,
  ) {
    super();
  }
}
