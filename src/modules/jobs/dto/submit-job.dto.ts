import { ApiProperty, ApiPropertyOptional, getSchemaPath, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsDateString,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { JOB_PRIORITIES, JobPriority } from '../job-status';
import { JOB_PAYLOADS } from '../job-types/job-payloads';

const payloadSchemas = JOB_PAYLOADS.map(([, payload]) => ({ $ref: getSchemaPath(payload) }));
const typeList = JOB_PAYLOADS.map(([type, payload]) => `\`${type}\` → ${payload.name}`).join('; ');

export class SubmitJobDto {
  @ApiProperty({
    description: 'The job type.',
    enum: JOB_PAYLOADS.map(([type]) => type),
    example: 'send-email',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  type: string;

  @ApiProperty({
    description: `Validated against the type's payload: ${typeList}.`,
    oneOf: payloadSchemas,
    example: { to: 'ada@example.com', subject: 'Hello', body: 'Hi Ada' },
  })
  @IsObject()
  payload: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'Called with the signed final event (http/https).',
    example: 'https://example.com/hooks/conveyor',
    maxLength: 2048,
  })
  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'webhookUrl must be an http(s) URL' },
  )
  @MaxLength(2048)
  webhookUrl?: string;

  @ApiPropertyOptional({ enum: JOB_PRIORITIES, enumName: 'JobPriority', default: 'normal' })
  @IsOptional()
  @IsIn(JOB_PRIORITIES)
  priority?: JobPriority;

  @ApiPropertyOptional({
    description: 'Retries after the first attempt (default MAX_RETRIES).',
    minimum: 0,
    maximum: 10,
    example: 3,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10)
  maxRetries?: number;

  @ApiPropertyOptional({
    description: 'Per-attempt time limit (default JOB_TIMEOUT_MS).',
    minimum: 1000,
    maximum: 3_600_000,
    example: 30000,
  })
  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  timeoutMs?: number;

  @ApiPropertyOptional({
    description: 'Start no earlier than this many milliseconds from now (not with runAt).',
    minimum: 0,
    maximum: 31_536_000_000,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(31_536_000_000)
  delayMs?: number;

  @ApiPropertyOptional({
    description: 'Start no earlier than this time (ISO-8601; not with delayMs).',
    format: 'date-time',
  })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'runAt must be an ISO-8601 date-time' })
  runAt?: string;

  @ApiPropertyOptional({
    description: 'Makes the submission safe to retry for 24 h (or send the Idempotency-Key header).',
    maxLength: 255,
  })
  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7e]{1,255}$/, { message: 'idempotencyKey must be 1-255 printable ASCII characters' })
  idempotencyKey?: string;
}

/** A batch item: the same fields but `idempotencyKey` (the batch is one all-or-nothing request). */
export class BatchJobDto extends OmitType(SubmitJobDto, ['idempotencyKey'] as const) {}

export class SubmitJobBatchDto {
  @ApiProperty({ type: [BatchJobDto], minItems: 1, maxItems: 100 })
  @ValidateNested({ each: true })
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @Type(() => BatchJobDto)
  jobs: BatchJobDto[];
}
