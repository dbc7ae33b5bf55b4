import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis, { RedisOptions } from 'ioredis';
import { Env, redisUrlOf } from '../../config/env';

export const REDIS = Symbol('REDIS');

/**
 * Fail fast when Redis is gone: one retry, then the command errors and the request answers 503 instead of
 * hanging while ioredis reconnects in the background. Auto-pipelining sends the commands issued in one tick
 * in one write (a job change's cache invalidation and its realtime events, say), still in the order issued.
 */
export const API_REDIS_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 1,
  connectTimeout: 5000,
  enableAutoPipelining: true,
};

/** The shared client for cache, rate limits and health (BullMQ keeps connections of its own). */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Env, true>) => new Redis(redisUrlOf(config), API_REDIS_OPTIONS),
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown() {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
