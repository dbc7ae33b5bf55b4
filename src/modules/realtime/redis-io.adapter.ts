import { INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';

/** Socket.io key in Redis, shared by the adapter (API processes) and the emitter (any process). */
export const socketIoKey = (queuePrefix: string) => `${queuePrefix}:socket.io`;

/**
 * Socket.io over the Redis adapter: rooms span every API instance, and events emitted from worker
 * processes (through the Redis emitter) reach sockets wherever they are connected.
 */
export class RedisIoAdapter extends IoAdapter {
  private readonly log = new Logger(RedisIoAdapter.name);
  private readonly pub: Redis;
  private readonly sub: Redis;

  constructor(
    app: INestApplicationContext,
    redisUrl: string,
    private readonly key: string,
    private readonly corsOrigin: string,
  ) {
    super(app);
    this.pub = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.sub = this.pub.duplicate();
    // ioredis reconnects by itself; without a listener every failed attempt is an unhandled 'error'.
    for (const client of [this.pub, this.sub]) {
      client.on('error', (error: Error) =>
        this.log.warn({ err: error }, 'Socket.io Redis adapter connection error'),
      );
    }
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const origin = this.corsOrigin === '*' ? true : this.corsOrigin.split(',').map((o) => o.trim());
    const server = super.createIOServer(port, { ...options, cors: { origin } } as ServerOptions);
    server.adapter(createAdapter(this.pub, this.sub, { key: this.key }));
    return server;
  }

  override async dispose() {
    await super.dispose();
    await Promise.all([this.pub.quit(), this.sub.quit()].map((p) => p.catch(() => undefined)));
  }
}
