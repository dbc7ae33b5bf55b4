import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type Redis from 'ioredis';
import type { Env } from '../../../config/env';
import { REDIS } from '../../redis/redis.module';
import { FairShare } from './fair-share';
import { FairQueuePosition } from './fair-queue-position';
import { JOBS_FAIR_SHARE, WEBHOOKS_FAIR_SHARE } from './fair-share-token';
import { TenantLimits } from './tenant-limits';

@Module({
  providers: [
    TenantLimits,
    FairQueuePosition,
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
  exports: [TenantLimits, JOBS_FAIR_SHARE, WEBHOOKS_FAIR_SHARE, FairQueuePosition],
})
export class FairShareModule {}
