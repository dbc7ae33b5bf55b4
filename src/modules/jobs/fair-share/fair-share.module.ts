import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type Redis from 'ioredis';
import type { Env } from '../../../config/env';
import { REDIS } from '../../redis/redis.module';
import { FairShare } from './fair-share';
import { TenantLimits } from './tenant-limits';

/** The `jobs` queue's FairShare (another scope, e.g. webhooks, gets an instance of its own). */
export const JOBS_FAIR_SHARE = Symbol('JOBS_FAIR_SHARE');
/** The `webhooks` queue's FairShare: deliveries take turns and have slots apart from jobs. */
export const WEBHOOKS_FAIR_SHARE = Symbol('WEBHOOKS_FAIR_SHARE');

@Module({
  providers: [
    TenantLimits,
    {
      provide: JOBS_FAIR_SHARE,
      inject: [REDIS, ConfigService],
      useFactory: (redis: Redis, config: ConfigService<Env, true>) =>
        new FairShare(redis, config.get('QUEUE_PREFIX', { infer: true }), 'jobs'),
    },
    {
      provide: WEBHOOKS_FAIR_SHARE,
      inject: [REDIS, ConfigService],
      useFactory: (redis: Redis, config: ConfigService<Env, true>) =>
        new FairShare(redis, config.get('QUEUE_PREFIX', { infer: true }), 'webhooks'),
    },
  ],
  exports: [TenantLimits, JOBS_FAIR_SHARE, WEBHOOKS_FAIR_SHARE],
})
export class FairShareModule {}
