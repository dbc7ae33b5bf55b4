import { Query } from '@nestjs/cqrs';
import type { JobQueueState } from '../../queue-position/job-queue-state';

/** The `queue` of GET /api/jobs/:id alone, for clients that poll it. */
export class GetJobPositionQuery extends Query<JobQueueState | null> {
  constructor(
    readonly userId: string,
    readonly jobId: string,
  ) {
    super();
  }
}
