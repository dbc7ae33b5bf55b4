import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { QueuePosition } from '../../queue-position/queue-position';
import { GetJobHandler } from '../get-job/get-job.handler';
import { GetJobPositionQuery } from './get-job-position.query';

/** Same job lookup (cache, owner check, 404) as GET /api/jobs/:id; answers only its live place in line. */
@QueryHandler(GetJobPositionQuery)
export class GetJobPositionHandler implements IQueryHandler<GetJobPositionQuery> {
  constructor(
    private readonly jobs: GetJobHandler,
    private readonly position: QueuePosition,
  ) {}

  async execute({ userId, jobId }: GetJobPositionQuery) {
    return this.position.of(await this.jobs.view(userId, jobId));
  }
}
