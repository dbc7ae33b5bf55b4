import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { ListJobsQueryDto } from '../../jobs/dto/job-queries.dto';

/** GET /api/admin/jobs: the filters of GET /api/jobs, plus whose jobs and what their error says. */
export class AdminJobsQueryDto extends ListJobsQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this user's jobs." })
  @IsOptional()
  @IsUUID('all')
  userId?: string;

  @ApiPropertyOptional({
    description: 'A case-insensitive substring of the error text (`%` and `_` match themselves).',
    maxLength: 200,
    example: 'timed out',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}
