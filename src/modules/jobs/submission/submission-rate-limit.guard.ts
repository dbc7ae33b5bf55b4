import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import Redis from 'ioredis';
import { AppError } from '@app/common/errors/app-error';
import type { Env } from '../../../config/env';
import type { AuthUser } from '../../auth/auth-user';
import { REDIS } from '../../redis/redis.module';

const WINDOW_SECONDS = 60;

// Fixed one-minute window per user: adds `n` unless that passes the limit; returns [used, seconds left].
const CONSUME = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then ttl = tonumber(ARGV[3]) end
if used + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return {used, ttl, 0} end
used = redis.call('INCRBY', KEYS[1], ARGV[1])
if used == tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return {used, ttl, 1}`;

/**
 * RATE_LIMIT_JOBS_PER_MINUTE per user on job submission, counted in Redis so it holds across API instances.
 * A guard (before validation), so every answer carries the X-RateLimit-* headers; a batch counts its jobs.
 */
@Injectable()
export class SubmissionRateLimitGuard implements CanActivate {
  private readonly limit: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    config: ConfigService<Env, true>,
  ) {
    this.limit = config.get('RATE_LIMIT_JOBS_PER_MINUTE', { infer: true });
  }

  async canActivate(context: ExecutionContext) {
    const request = context.switchToHttp().getRequest<Request & { user: AuthUser }>();
    const response = context.switchToHttp().getResponse<Response>();
    const body = request.body as { jobs?: unknown } | undefined;
    const count = Array.isArray(body?.jobs) ? Math.min(Math.max(body.jobs.length, 1), 100) : 1;
    const [used, resetSeconds, allowed] = (await this.redis.eval(
      CONSUME,
      1,
      `conveyor:ratelimit:jobs:${request.user.id}`,
      count,
      this.limit,
      WINDOW_SECONDS,
    )) as [number, number, number];
    response.setHeader('X-RateLimit-Limit', this.limit);
    response.setHeader('X-RateLimit-Remaining', Math.max(0, this.limit - used));
    response.setHeader('X-RateLimit-Reset', resetSeconds);
    if (!allowed) {
      response.setHeader('Retry-After', resetSeconds);
      throw new AppError(
        'RATE_LIMITED',
        `Too many requests. You can submit a maximum of ${this.limit} jobs per minute. Try again in ${resetSeconds} seconds.`,
      );
    }
    return true;
  }
}
