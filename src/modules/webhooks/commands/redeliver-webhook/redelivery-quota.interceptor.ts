import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import { FixedWindowLimiter } from '@app/common/rate-limit/fixed-window-limiter';
import { Quota, QuotaInterceptor } from '@app/common/rate-limit/quota';
import type { Env } from '../../../../config/env';
import { REDIS } from '../../../redis/redis.module';

/** RATE_LIMIT_REDELIVERIES_PER_MINUTE per user; an error answer (404, 400, 409 pending) gives its count back. */
@Injectable()
export class RedeliveryQuota extends QuotaInterceptor {
  protected readonly quota: Quota;

  constructor(@Inject(REDIS) redis: Redis, config: ConfigService<Env, true>) {
    super();
    const limiter = new FixedWindowLimiter(
      redis,
      'redeliveries',
      config.get('RATE_LIMIT_REDELIVERIES_PER_MINUTE', { infer: true }),
    );
    this.quota = new Quota(limiter, { verb: 'request', unit: 'redeliveries' });
  }

  protected cost() {
    return 1;
  }
}
