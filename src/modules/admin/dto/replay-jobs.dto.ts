import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsDateString,
  IsIn,
  IsInt,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';

export const REPLAYABLE_STATUSES = ['FAILED', 'CANCELLED'] as const;
export type ReplayableStatus = (typeof REPLAYABLE_STATUSES)[number];
export const MAX_REPLAY = 1000;

/** May be left out, but not sent as null: a null `dryRun` must not turn into a real replay. */
const Omittable = () => ValidateIf((_: unknown, value: unknown) => value !== undefined);

/** POST /api/admin/jobs/replay: which dead-letter jobs to run again. */
export class ReplayJobsDto {
  @ApiPropertyOptional({
    enum: REPLAYABLE_STATUSES,
    enumName: 'ReplayableStatus',
    default: 'FAILED',
    description: 'FAILED (the dead-letter set) or CANCELLED.',
  })
  @Omittable()
  @IsIn(REPLAYABLE_STATUSES)
  status: ReplayableStatus = 'FAILED';

  @ApiPropertyOptional({ example: 'send-email', maxLength: 64 })
  @Omittable()
  @IsString()
  @MaxLength(64)
  type?: string;

  @ApiPropertyOptional({ description: 'createdAt on or after (ISO-8601).', format: 'date-time' })
  @Omittable()
  @IsDateString({ strict: true }, { message: 'from must be an ISO-8601 date-time' })
  from?: string;

  @ApiPropertyOptional({ description: 'createdAt on or before (ISO-8601).', format: 'date-time' })
  @Omittable()
  @IsDateString({ strict: true }, { message: 'to must be an ISO-8601 date-time' })
  to?: string;

  @ApiPropertyOptional({
    description: 'A case-insensitive substring of the error text (`%` and `_` match themselves).',
    maxLength: 200,
    example: 'timed out',
  })
  @Omittable()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "Only this user's jobs." })
  @Omittable()
  @IsUUID('all')
  userId?: string;

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'Only count the matches: nothing is changed.',
  })
  @Omittable()
  @IsBoolean()
  dryRun = false;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_REPLAY,
    default: MAX_REPLAY,
    description: 'Replay at most this many (the oldest first); call again for the rest.',
  })
  @Omittable()
  @IsInt()
  @Min(1)
  @Max(MAX_REPLAY)
  limit = MAX_REPLAY;
}
