import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';

/** Where a subject stands in its current window. */
export interface WindowState {
  limit: number;
  used: number;
  /** Seconds until the window ends (a full window when none is open). */
  resetSeconds: number;
}

export interface Consumed extends WindowState {
  allowed: boolean;
  /** The window the units went into: a refund names it, so it never credits a later window. */
  windowId: string;
}

/*
 * One hash per subject: `used` and the window's `id`, expiring with the window. KEYS[1] the hash; ARGV: units,
 * limit, window in ms, the id for a window this call opens. Returns {used, ms left, allowed, window id}.
 */
const CONSUME = `
local n, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  if n > limit then return {0, window, 0, ''} end
  if n == 0 then return {0, window, 1, ''} end
  redis.call('HSET', KEYS[1], 'used', n, 'id', ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return {n, window, 1, ARGV[4]}
end
local used = tonumber(redis.call('HGET', KEYS[1], 'used'))
local id = redis.call('HGET', KEYS[1], 'id')
if used + n > limit then return {used, ttl, 0, id} end
if n > 0 then used = redis.call('HINCRBY', KEYS[1], 'used', n) end
return {used, ttl, 1, id}`;

/* ARGV: units, the window they went into, window in ms. Gives back only into that window, never below 0. */
const REFUND = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return {0, tonumber(ARGV[3])} end
local used = tonumber(redis.call('HGET', KEYS[1], 'used'))
if redis.call('HGET', KEYS[1], 'id') == ARGV[2] then
  used = used - math.min(used, tonumber(ARGV[1]))
  redis.call('HSET', KEYS[1], 'used', used)
end
return {used, ttl}`;

/**
 * A fixed window per subject (a user), counted in Redis so it holds across API instances: the window opens
 * with the first unit and lasts `windowSeconds`. The one Redis-specific piece of every quota; its keys are
 * `conveyor:quota:<name>:<subject>`, nothing else.
 */
export class FixedWindowLimiter {
  constructor(
    private readonly redis: Redis,
    readonly name: string,
    readonly limit: number,
    readonly windowSeconds = 60,
  ) {}

  /** Adds `units` unless that passes the limit (then adds nothing); 0 only reads the window. */
  async consume(subject: string, units: number): Promise<Consumed> {
    const [used, ms, allowed, windowId] = (await this.redis.eval(
      CONSUME,
      1,
      this.key(subject),
      units,
      this.limit,
      this.windowSeconds * 1000,
      randomUUID(),
    )) as [number, number, number, string];
    return { ...this.state(used, ms), allowed: allowed === 1, windowId };
  }

  /** Gives `units` back to the window they were consumed in, if it is still open; the current state. */
  async refund(subject: string, units: number, windowId: string): Promise<WindowState> {
    const [used, ms] = (await this.redis.eval(
      REFUND,
      1,
      this.key(subject),
      units,
      windowId,
      this.windowSeconds * 1000,
    )) as [number, number];
    return this.state(used, ms);
  }

  private key(subject: string) {
    return `conveyor:quota:${this.name}:${subject}`;
  }

  private state(used: number, ms: number): WindowState {
    return { limit: this.limit, used, resetSeconds: Math.max(1, Math.ceil(ms / 1000)) };
  }
}
