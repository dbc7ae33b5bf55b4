import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import type { Env } from '../../config/env';
import { REDIS } from '../redis/redis.module';

/** What stopped working: one API key, one login (a refresh family, the `fid` of its access tokens), a user. */
export interface Revocation {
  kind: 'api-key' | 'family' | 'user';
  id: string;
}

const KINDS: readonly string[] = ['api-key', 'family', 'user'] satisfies Revocation['kind'][];

/** A message off the channel as a Revocation, or undefined for anything else. */
export function parseRevocation(message: string): Revocation | undefined {
  try {
    const { kind, id } = JSON.parse(message) as Partial<Record<keyof Revocation, unknown>>;
    return typeof kind === 'string' && KINDS.includes(kind) && typeof id === 'string' && id
      ? { kind: kind as Revocation['kind'], id }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Revoked credentials, told to every process: Auth publishes once the revocation is committed, and each
 * process's listeners (the realtime gateway's sockets, LiveUsers' cache) hear it within a Redis round trip.
 * Redis pub/sub, so a process that is disconnected from Redis at that moment misses it (its sockets then end
 * at their next `subscribe` or at token expiry). The only Redis-specific piece: LISTEN/NOTIFY could replace it.
 */
@Injectable()
export class CredentialRevocations implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(CredentialRevocations.name);
  private readonly channel: string;
  private readonly listeners = new Set<(revocation: Revocation) => void>();
  private subscriber?: Redis;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    config: ConfigService<Env, true>,
  ) {
    this.channel = `${config.get('QUEUE_PREFIX', { infer: true })}:credential-revocations`;
  }

  /** Subscribed before the app listens, so no revocation published after startup is missed. */
  async onModuleInit() {
    // A subscribing connection can do nothing else: a connection of its own.
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('error', (error: Error) =>
      this.logger.warn({ err: error }, 'Credential revocation subscriber error'),
    );
    this.subscriber.on('message', (channel: string, message: string) => {
      const revocation = channel === this.channel ? parseRevocation(message) : undefined;
      if (revocation) this.notify(revocation);
    });
    await this.subscriber
      .subscribe(this.channel)
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, 'Not subscribed to credential revocations'),
      );
  }

  /**
   * Tells every process, this one included. Never throws: the revocation itself is already committed and
   * holds for every new request; a lost message is logged (sockets then end at their next check).
   */
  async publish(revocation: Revocation): Promise<void> {
    await this.redis
      .publish(this.channel, JSON.stringify(revocation))
      .catch((error: unknown) =>
        this.logger.warn({ err: error, ...revocation }, 'Credential revocation not published'),
      );
  }

  /** `listener` hears every revocation published from now on, by any process. */
  onRevoked(listener: (revocation: Revocation) => void) {
    this.listeners.add(listener);
  }

  private notify(revocation: Revocation) {
    for (const listener of this.listeners) {
      try {
        listener(revocation);
      } catch (error) {
        this.logger.warn({ err: error, ...revocation }, 'Credential revocation listener failed');
      }
    }
  }

  async onApplicationShutdown() {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }
}
