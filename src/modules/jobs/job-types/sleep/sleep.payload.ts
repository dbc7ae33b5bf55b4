import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

export class SleepPayload {
  @ApiProperty({
    description: 'How long to wait, in ms (0 returns at once).',
    minimum: 0,
    maximum: 60_000,
    type: 'integer',
    example: 2000,
  })
  @IsInt()
  @Min(0)
  @Max(60_000)
  delayMs: number;

  @ApiPropertyOptional({
    description:
      "Fail the job's first N attempts (after waiting), then succeed: for trying retries, backoff and replay. Counted over the job's whole life, so a retried or replayed job fails only as many times in all.",
    minimum: 0,
    maximum: 10,
    type: 'integer',
    example: 2,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10)
  failTimes?: number;

  @ApiPropertyOptional({
    description: 'Fail every attempt (after waiting): for trying the dead-letter set.',
    example: false,
  })
  @IsOptional()
  @IsBoolean()
  forceFail?: boolean;
}
