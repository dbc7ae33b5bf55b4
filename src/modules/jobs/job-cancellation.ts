import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from '../redis/redis.module';

const CHANNEL = 'conveyor:jobs:cancel';

/**
 * Cancelling a PROCESSING job must reach whichever worker process runs it: the API publishes the job id on
 * Redis, and every worker aborts the attempt it holds under that id.
 */
@Injectable()
export class JobCancellation implements OnApplicationShutdown {
  private readonly logger = new Logger(JobCancellation.name);
  private readonly running = new Map<string, AbortController>();
  private subscriber?: Redis;

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async publish(jobId: string) {
    await this.redis.publish(CHANNEL, jobId);
  }

  /** Worker side: start listening (once). */
  async listen() {
    if (this.subscriber) return;
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('message', (_channel: string, jobId: string) => this.abortLocal(jobId));
    this.subscriber.on('error', (error) => this.logger.warn({ err: error }, 'Cancel subscriber error'));
    await this.subscriber.subscribe(CHANNEL);
  }

  /** Registers a running attempt; the returned function unregisters it. */
  track(jobId: string, controller: AbortController): () => void {
    this.running.set(jobId, controller);
    return () => {
      if (this.running.get(jobId) === controller) this.running.delete(jobId);
    };
  }

  abortLocal(jobId: string) {
    this.running.get(jobId)?.abort(new JobCancelledError());
  }

  async onApplicationShutdown() {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }
}

export class JobCancelledError extends Error {
  constructor() {
    super('Job cancelled');
    this.name = 'JobCancelledError';
  }
}
