import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDateString, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { JOB_PRIORITIES, JOB_STATUSES } from '../job-status';
import type { JobPriority, JobStatus } from '../job-status';

export class ListJobsQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page = 1;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 10 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 10;

  @ApiPropertyOptional({ enum: JOB_STATUSES, enumName: 'JobStatus' })
  @IsOptional()
  @IsIn(JOB_STATUSES)
  status?: JobStatus;

  @ApiPropertyOptional({ example: 'send-email' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  type?: string;

  @ApiPropertyOptional({ description: 'createdAt on or after (ISO-8601).', format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'from must be an ISO-8601 date-time' })
  from?: string;

  @ApiPropertyOptional({ description: 'createdAt on or before (ISO-8601).', format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'to must be an ISO-8601 date-time' })
  to?: string;
}

export class UpdateJobDto {
  @ApiPropertyOptional({ enum: JOB_PRIORITIES, enumName: 'JobPriority' })
  @IsOptional()
  @IsIn(JOB_PRIORITIES)
  priority?: JobPriority;

  @ApiPropertyOptional({ description: 'New start time (ISO-8601); the past means now.', format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'runAt must be an ISO-8601 date-time' })
  runAt?: string;
}
