import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import Redis from 'ioredis';
import { FixedWindowLimiter } from '@app/common/rate-limit/fixed-window-limiter';
import { Quota, QuotaInterceptor } from '@app/common/rate-limit/quota';
import type { Env } from '../../../config/env';
import type { AuthUser } from '../../auth/auth-user';
import { REDIS } from '../../redis/redis.module';
import { Idempotency } from './idempotency';

/** The most jobs a batch may hold (and so the most one request is charged before validation). */
const MAX_BATCH = 100;

/**
 * RATE_LIMIT_JOBS_PER_MINUTE per user over job submissions and retries; a batch counts its jobs. Rejected
 * requests (any error answer) and idempotent replays give their count back; a request with a key that a job
 * already holds is not charged at all.
 */
@Injectable()
export class SubmissionQuota extends QuotaInterceptor {
  protected readonly quota: Quota;

  constructor(
    @Inject(REDIS) redis: Redis,
    config: ConfigService<Env, true>,
    private readonly idempotency: Idempotency,
  ) {
    super();
    const limiter = new FixedWindowLimiter(
      redis,
      'jobs',
      config.get('RATE_LIMIT_JOBS_PER_MINUTE', { infer: true }),
    );
    this.quota = new Quota(limiter, { verb: 'submit', unit: 'jobs' });
  }

  protected async cost(request: Request & { user: AuthUser }) {
    const route = (request.route as { path?: string } | undefined)?.path ?? '';
    const body = request.body as { jobs?: unknown; idempotencyKey?: unknown } | undefined;
    if (route.endsWith('/batch'))
      return Array.isArray(body?.jobs) ? Math.min(Math.max(body.jobs.length, 1), MAX_BATCH) : 1;
    if (route.endsWith('/retry')) return 1;
    // A key a job already holds answers its replay (or 422): free, so it is answered even at the limit.
    const key =
      typeof body?.idempotencyKey === 'string' ? body.idempotencyKey : request.get('idempotency-key');
    return key && (await this.idempotency.held(request.user.id, key)) ? 0 : 1;
  }

  protected madeNothing(response: Response) {
    return response.getHeader('Idempotent-Replayed') === 'true';
  }
}
