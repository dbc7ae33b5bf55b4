import { Query } from '@nestjs/cqrs';
import type { JobLogResponseDto } from '../../dto/job.response.dto';

export class GetJobLogsQuery extends Query<JobLogResponseDto[]> {
  constructor(
    readonly userId: string,
    readonly jobId: string,
  ) {
    super();
  }
}
