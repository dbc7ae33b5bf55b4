import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { RateLimitedResponseDto } from '../swagger/envelope.dto';

const integer = { type: 'integer' } as const;

const headersOf = (unit: string) => ({
  'X-RateLimit-Limit': { description: `${unit} allowed per minute`, schema: integer },
  'X-RateLimit-Remaining': {
    description: `${unit} left in this minute (after any refund of this request)`,
    schema: integer,
  },
  'X-RateLimit-Reset': { description: 'Seconds until the window resets', schema: integer },
});

/**
 * Documents a route under a per-user quota: the X-RateLimit-* headers on `statuses` (its answers; with
 * ApiEnvelope/ApiErrors for their bodies) and the 429 with Retry-After.
 */
export function ApiQuota(setting: string, unit: string, statuses: number[]) {
  const headers = headersOf(unit);
  return applyDecorators(
    ApiExtraModels(RateLimitedResponseDto),
    ...statuses.map((status) => ApiResponse({ status, headers })),
    ApiTooManyRequestsResponse({
      description: `Over \`${setting}\` (\`RATE_LIMITED\`; the message has the numbers)`,
      type: RateLimitedResponseDto,
      headers: {
        ...headers,
        'Retry-After': { description: 'Seconds until the window resets', schema: integer },
      },
    }),
  );
}
