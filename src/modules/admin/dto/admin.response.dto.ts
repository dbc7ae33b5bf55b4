import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { JobStatsResponseDto } from '../../jobs/dto/job.response.dto';

export class ReplayJobsResponseDto {
  @ApiProperty({
    type: 'integer',
    description: 'Jobs matching the filter, all of them (even beyond `limit`).',
    example: 12,
  })
  matched: number;

  @ApiProperty({
    type: 'integer',
    description: 'Jobs re-queued by this call: at most `limit`, 0 on a dry run.',
    example: 12,
  })
  replayed: number;

  @ApiProperty({ example: false })
  dryRun: boolean;

  @ApiPropertyOptional({
    type: String,
    isArray: true,
    format: 'uuid',
    description: 'The re-queued jobs, oldest first. Absent on a dry run.',
  })
  jobIds?: string[];
}

class UserCountsDto {
  @ApiProperty({ type: 'integer', description: 'Registered users, admins included.', example: 42 })
  total: number;

  @ApiProperty({ type: 'integer', example: 1 })
  admins: number;
}

/** The global job stats of GET /api/jobs/stats, plus user counts. */
export class AdminStatsResponseDto extends JobStatsResponseDto {
  @ApiProperty({ type: UserCountsDto }) users: UserCountsDto;
}
