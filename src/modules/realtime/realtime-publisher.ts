import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Emitter } from '@socket.io/redis-emitter';
import Redis from 'ioredis';
import { rooms, ServerToClientEvents } from '@app/contracts/realtime-events';
import { Env } from '../../config/env';
import { REDIS } from '../redis/redis.module';
import { socketIoKey } from './redis-io.adapter';

/**
 * The emitter's only use of its client is `publish`, whose promise it drops: without this catch a Redis outage
 * while a job changes would be an unhandled rejection, which ends the process. A lost event is logged.
 */
export function publishOnly(redis: Pick<Redis, 'publish'>, logger: Pick<Logger, 'warn'>) {
  return {
    publish: (channel: string, message: string | Buffer): Promise<void> =>
      redis.publish(channel, message).then(
        () => undefined,
        (error: unknown) => logger.warn({ err: error, channel }, 'Realtime event not published'),
      ),
  };
}

/**
 * Emits to sockets from any process (workers have no Socket.io server): through Redis to the adapter of
 * every API instance. On the process's shared connection, the one JobCache uses: the events of a job leave
 * in the order they were emitted, and after the cache invalidation of the change they announce.
 */
@Injectable()
export class RealtimePublisher {
  private readonly logger = new Logger(RealtimePublisher.name);
  private readonly emitter: Emitter<ServerToClientEvents>;

  constructor(config: ConfigService<Env, true>, @Inject(REDIS) redis: Redis) {
    this.emitter = new Emitter<ServerToClientEvents>(publishOnly(redis, this.logger), {
      key: socketIoKey(config.get('QUEUE_PREFIX', { infer: true })),
    });
  }

  toJob<E extends keyof ServerToClientEvents>(
    jobId: string,
    event: E,
    ...payload: Parameters<ServerToClientEvents[E]>
  ) {
    this.emitter.to(rooms.job(jobId)).emit(event, ...payload);
  }

  /** The user's sockets and every admin's. */
  toUser<E extends keyof ServerToClientEvents>(
    userId: string,
    event: E,
    ...payload: Parameters<ServerToClientEvents[E]>
  ) {
    this.emitter.to([rooms.user(userId), rooms.admins]).emit(event, ...payload);
  }
}
