import { applyDecorators, HttpStatus, Inject, Injectable, UseInterceptors } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import { ApiQuota } from '@app/common/rate-limit/api-quota.decorator';
import { FixedWindowLimiter } from '@app/common/rate-limit/fixed-window-limiter';
import { Quota, QuotaInterceptor } from '@app/common/rate-limit/quota';
import type { Env } from '../../../../config/env';
import { REDIS } from '../../../redis/redis.module';

/**
 * RATE_LIMIT_REPLAYS_PER_MINUTE per admin, counted in jobs replayed: the handler takes the number it found
 * (all or none) before replaying any, and gives back those that left the dead-letter set meanwhile.
 */
@Injectable()
export class ReplayQuota extends QuotaInterceptor {
  protected readonly quota: Quota;

  constructor(@Inject(REDIS) redis: Redis, config: ConfigService<Env, true>) {
    super();
    const limiter = new FixedWindowLimiter(
      redis,
      'replays',
      config.get('RATE_LIMIT_REPLAYS_PER_MINUTE', { infer: true }),
    );
    this.quota = new Quota(limiter, { verb: 'replay', unit: 'jobs' });
  }

  protected cost() {
    return 0;
  }
}

/** The replay route's quota and its documentation (headers, 429). */
export const CountedAsReplays = () =>
  applyDecorators(
    UseInterceptors(ReplayQuota),
    ApiQuota('RATE_LIMIT_REPLAYS_PER_MINUTE', 'Jobs to replay', [HttpStatus.OK]),
  );
