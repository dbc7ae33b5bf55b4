import { ApiProperty } from '@nestjs/swagger';
import { JOB_PRIORITIES, JOB_STATUSES, LOG_LEVELS } from '@app/contracts/job';
import type { JobPriority, JobStatus, LogLevel } from '@app/contracts/job';
import type { JobView } from '../job-view';
import { JobQueueStateDto } from './job-queue-state.response.dto';

/** The OpenAPI description of JobView: `implements` keeps the two from drifting apart. */
export class JobResponseDto implements JobView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ example: 'send-email' }) type: string;
  @ApiProperty({ enum: JOB_STATUSES, enumName: 'JobStatus', example: 'PENDING' }) status: JobStatus;
  @ApiProperty({ enum: JOB_PRIORITIES, enumName: 'JobPriority', example: 'normal' }) priority: JobPriority;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { to: 'ada@example.com', subject: 'Hello', body: 'Hi' },
  })
  payload: Record<string, unknown>;
  @ApiProperty({
    description: "The handler's result once DONE (shape per type).",
    nullable: true,
    type: 'object',
    additionalProperties: true,
  })
  result: unknown;
  @ApiProperty({ type: String, nullable: true, example: null }) error: string | null;
  @ApiProperty({ minimum: 0, maximum: 100, example: 0 }) progress: number;
  @ApiProperty({ description: 'Attempts started so far.', example: 0 }) attempts: number;
  @ApiProperty({ example: 3 }) maxRetries: number;
  @ApiProperty({ example: 30000 }) timeoutMs: number;
  @ApiProperty({ type: String, nullable: true, example: null }) webhookUrl: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) idempotencyKey: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) runAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextRetryAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
  @ApiProperty({
    type: () => JobQueueStateDto,
    nullable: true,
    required: false,
    description:
      'GET /api/jobs/:id only: why a PENDING job has not started yet, computed on every read; null in any ' +
      'other status. Absent from lists and from the answers of changes.',
  })
  queue?: JobQueueStateDto | null;
}

export class JobBatchResponseDto {
  @ApiProperty({ type: [JobResponseDto] }) jobs: JobResponseDto[];
}

export class JobLogResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) jobId: string;
  @ApiProperty({ enum: LOG_LEVELS, enumName: 'LogLevel' }) level: LogLevel;
  @ApiProperty({ example: 'Attempt 1 started' }) message: string;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
}

class JobCountsDto implements Record<JobStatus, number> {
  @ApiProperty() PENDING: number;
  @ApiProperty() PROCESSING: number;
  @ApiProperty() DONE: number;
  @ApiProperty() FAILED: number;
  @ApiProperty() CANCELLED: number;
}

class DayCountDto {
  @ApiProperty({ example: '2026-11-24', format: 'date' }) date: string;
  @ApiProperty() done: number;
  @ApiProperty() failed: number;
}

class QueueCountsDto {
  @ApiProperty() waiting: number;
  @ApiProperty() active: number;
  @ApiProperty() delayed: number;
  @ApiProperty() prioritized: number;
}

class StorageUsageDto {
  @ApiProperty({
    description: 'Bytes of the kept artifacts (files of DONE jobs not yet purged by retention).',
    example: 12897484,
  })
  usedBytes: number;
  @ApiProperty({
    description: "Each user's storage quota in bytes (USER_STORAGE_QUOTA_MB × 1,048,576).",
    example: 524288000,
  })
  limitBytes: number;
  @ApiProperty({ description: 'Kept artifacts counted in usedBytes.', example: 3 }) artifacts: number;
}

export class JobStatsResponseDto {
  @ApiProperty({ type: JobCountsDto }) counts: JobCountsDto;
  @ApiProperty({
    description:
      'DONE / (DONE + FAILED) as a percentage (0-100, two decimals); null before any job finished.',
    type: Number,
    nullable: true,
    example: 97.5,
  })
  successRate: number | null;
  @ApiProperty({ type: [DayCountDto], description: 'The last seven UTC days, oldest first, by finish time.' })
  last7Days: DayCountDto[];
  @ApiProperty({
    type: QueueCountsDto,
    description:
      "Your jobs' place in the queue, from the record (admins: the live counts of the shared queue, everyone's jobs).",
  })
  queue: QueueCountsDto;
  @ApiProperty({ description: 'Worker connections on the queue.' }) workers: number;
  @ApiProperty({
    type: StorageUsageDto,
    description:
      "Your kept artifacts against your storage quota (admins: everyone's artifacts; the limit is still the " +
      'per-user quota). At the quota, jobs that keep a file are refused (403 STORAGE_QUOTA_EXCEEDED).',
  })
  storage: StorageUsageDto;
  @ApiProperty({ description: 'Seconds since this API process started.' }) uptimeSeconds: number;
}
