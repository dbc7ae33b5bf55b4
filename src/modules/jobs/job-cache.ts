import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { isBackendUnavailable } from '@app/common/http/error-response';
import { REDIS } from '../redis/redis.module';
import type { JobView } from './job-view';
import { TERMINAL_STATUSES } from './job-status';

const TTL_SECONDS = 60;
const TERMINAL_TTL_SECONDS = 300;

// Writes only if no invalidation happened since the reader looked up the version: a read that raced a
// change cannot put the old state back into the cache.
const SET_IF_VERSION = `
local v = redis.call('GET', KEYS[2]) or '0'
if v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 end
return 0`;

/** GET /api/jobs/:id through Redis: 60 s, 300 s once terminal, invalidated on every change. */
@Injectable()
export class JobCache {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  private keys(id: string): [string, string] {
    return [`conveyor:job:${id}`, `conveyor:job:${id}:v`];
  }

  /**
   * The cached view, or a loader that caches what it loads unless a change raced it. Without Redis, the job
   * is read from PostgreSQL (the record) and not cached: a read never fails for want of its cache.
   */
  async read(id: string, load: () => Promise<JobView | undefined>): Promise<JobView | undefined> {
    const [key, versionKey] = this.keys(id);
    let entries: [[null, string | null], [null, string | null]];
    try {
      entries = (await this.redis.multi().get(key).get(versionKey).exec()) as typeof entries;
    } catch (error) {
      if (!isBackendUnavailable(error)) throw error;
      return load();
    }
    const [[, cached], [, version]] = entries;
    if (cached) return JSON.parse(cached) as JobView;
    const job = await load();
    if (job) {
      const ttl = TERMINAL_STATUSES.includes(job.status) ? TERMINAL_TTL_SECONDS : TTL_SECONDS;
      await this.redis
        .eval(SET_IF_VERSION, 2, key, versionKey, version ?? '0', JSON.stringify(job), ttl)
        .catch((error: unknown) => {
          if (!isBackendUnavailable(error)) throw error;
        });
    }
    return job;
  }

  async invalidate(...ids: string[]) {
    if (ids.length === 0) return;
    const tx = this.redis.multi();
    for (const id of ids) {
      const [key, versionKey] = this.keys(id);
      tx.incr(versionKey).expire(versionKey, 3600).del(key);
    }
    await tx.exec();
  }
}
