import { Query } from '@nestjs/cqrs';
import type { JobView } from '../../job-view';
import type { JobQueueState } from '../../queue-position/job-queue-state';

export class GetJobQuery extends Query<JobView & { queue: JobQueueState | null }> {
  constructor(
    readonly userId: string,
    readonly jobId: string,
  ) {
    super();
  }
}
