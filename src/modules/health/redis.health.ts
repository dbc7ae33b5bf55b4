import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import Redis from 'ioredis';
import { JobQueue } from '../jobs/job-queue';
import { REDIS } from '../redis/redis.module';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly queue: JobQueue,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async pingCheck(key: string) {
    const indicator = this.indicators.check(key);
    try {
      // Both connections: the shared one and the queue's, which reconnect each on their own.
      await Promise.all([this.redis.ping(), this.queue.ping()]);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
