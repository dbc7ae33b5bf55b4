import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import Redis from 'ioredis';
import { FixedWindowLimiter } from '@app/common/rate-limit/fixed-window-limiter';
import { Quota, QuotaInterceptor } from '@app/common/rate-limit/quota';
import type { Env } from '../../../config/env';
import { REDIS } from '../../redis/redis.module';

/** The most jobs a batch may hold (and so the most one request is charged before validation). */
const MAX_BATCH = 100;

/**
 * RATE_LIMIT_JOBS_PER_MINUTE per user over job submissions and retries; a batch counts its jobs. Rejected
 * requests (any error answer) and idempotent replays give their count back.
 */
@Injectable()
export class SubmissionQuota extends QuotaInterceptor {
  protected readonly quota: Quota;

  constructor(@Inject(REDIS) redis: Redis, config: ConfigService<Env, true>) {
    super();
    const limiter = new FixedWindowLimiter(
      redis,
      'jobs',
      config.get('RATE_LIMIT_JOBS_PER_MINUTE', { infer: true }),
    );
    this.quota = new Quota(limiter, { verb: 'submit', unit: 'jobs' });
  }

  protected cost(request: Request) {
    const body = request.body as { jobs?: unknown } | undefined;
    const batch = (request.route as { path?: string } | undefined)?.path?.endsWith('/batch');
    return batch && Array.isArray(body?.jobs) ? Math.min(Math.max(body.jobs.length, 1), MAX_BATCH) : 1;
  }

  protected madeNothing(response: Response) {
    return response.getHeader('Idempotent-Replayed') === 'true';
  }
}
