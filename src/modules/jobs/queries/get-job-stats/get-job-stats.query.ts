import { Query } from '@nestjs/cqrs';
import type { JobStatsResponseDto } from '../../dto/job.response.dto';

export class GetJobStatsQuery extends Query<JobStatsResponseDto> {
  /** `userId` null: everyone's jobs (admins). */
  constructor(readonly userId: string | null) {
    super();
  }
}
