import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ConnectionOptions } from 'bullmq';
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
  retryStrategy: (times) => reconnectDelayMs(times),
};

/**
 * Reconnect within half a second of Redis coming back (and, for the shared client, fail a command within about
 * that while Redis is away), so the service is ready when /health/ready says so (BullMQ's
 * own default backs off up to 20 s, which kept submissions failing 12 s after readiness).
 */
export const reconnectDelayMs = (times: number) => Math.min(times * 50, 500);

/**
 * BullMQ's connections. A Queue (what requests use: add, remove, counts) fails a command at once while Redis is
 * unreachable instead of holding it until Redis returns, when the request has long been answered 503 and the
 * late command would make a change nobody was told about. Workers keep BullMQ's offline queue: they wait for
 * Redis and carry on.
 */
export const queueConnection = (url: string): ConnectionOptions => ({
  url,
  retryStrategy: reconnectDelayMs,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
});
export const workerConnection = (url: string): ConnectionOptions => ({
  url,
  retryStrategy: reconnectDelayMs,
});

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
