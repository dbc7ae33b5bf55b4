import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS, ErrorCode } from '../errors/app-error';

export class PaginationMetaDto {
  @ApiProperty({ example: 42 }) total: number;
  @ApiProperty({ example: 1 }) page: number;
  @ApiProperty({ example: 10 }) limit: number;
  @ApiProperty({ example: 5 }) totalPages: number;
  @ApiProperty({ example: true }) hasNextPage: boolean;
  @ApiProperty({ example: false }) hasPrevPage: boolean;
}

export class ErrorResponseDto {
  @ApiProperty({ enum: [false], example: false }) success: false;
  @ApiProperty({ example: 'Validation failed: email' }) message: string;
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), enumName: 'ErrorCode', example: 'VALIDATION_FAILED' })
  code: ErrorCode;
  @ApiProperty({ example: '6f1c2a7e-3f0e-4c1b-9d55-2b1f0e8c9a10' }) requestId: string;
  @ApiPropertyOptional({
    description: 'Validation failures keyed by field path (e.g. `payload.to`).',
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string' } },
    example: { email: ['email must be an email'] },
  })
  errors?: Record<string, string[]>;
}

export class RateLimitedResponseDto extends ErrorResponseDto {
  @ApiProperty({
    description: 'Seconds until a new request is allowed (also in `Retry-After`).',
    example: 45,
  })
  retryAfter: number;
}
