import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { AppError } from '@app/common/errors/app-error';
import { ResponseMessage } from '@app/common/http/response-message.decorator';
import { ApiEnvelope, ApiErrors } from '@app/common/swagger/api-envelope.decorator';
import { Public } from '../auth/auth-user';
import { RedisHealthIndicator } from './redis.health';

export class HealthResponseDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' }) status: 'ok';
  @ApiProperty({
    description: 'Each dependency checked, with its status.',
    type: 'object',
    additionalProperties: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['up', 'down'] } },
    },
    example: { database: { status: 'up' }, redis: { status: 'up' } },
  })
  details: Record<string, { status: 'up' | 'down' }>;
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get()
  @ResponseMessage('Alive')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiEnvelope(HealthResponseDto)
  live() {
    return { status: 'ok', details: {} };
  }

  @Get('ready')
  @ResponseMessage('Ready')
  @ApiOperation({
    summary: 'Readiness: PostgreSQL and Redis answer',
    description: '503 names what is down in `errors`.',
  })
  @ApiEnvelope(HealthResponseDto)
  @ApiErrors(503)
  async ready() {
    try {
      const result = await this.health.check([
        () => this.database.pingCheck('database', { timeout: 2000 }),
        () => this.redis.pingCheck('redis'),
      ]);
      return { status: 'ok', details: result.details };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const details =
        (error.getResponse() as { error?: Record<string, { status: string; message?: string }> }).error ?? {};
      const errors = Object.fromEntries(
        Object.entries(details).map(([name, d]) => [
          name,
          [`${name} is ${d.status}${d.message ? `: ${d.message}` : ''}`],
        ]),
      );
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        `Not ready: ${Object.keys(errors).join(', ')} unavailable`,
        errors,
      );
    }
  }
}
