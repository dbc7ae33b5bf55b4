import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { QueryFailedError, Repository } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { REDIS } from '../../redis/redis.module';
import { JobEntity } from '../entities/job.entity';
import { JobView, toJobView } from '../job-view';

/** What a key may be: 1-255 printable ASCII characters. */
export const IDEMPOTENCY_KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;
const KEY_LIFETIME_MS = 24 * 3600 * 1000;
const LOCK_MS = 60_000;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface Submitted {
  job: JobView;
  replayed: boolean;
}

/**
 * Idempotency keys as the IETF draft: same key + same body → the original job; another body → 422; while
 * the first request with the key is still running → 409. A Redis lock spots the in-flight case; the unique
 * index on (user_id, idempotency_key) is what guarantees one job, whatever the lock does.
 */
@Injectable()
export class Idempotency {
  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async run(userId: string, key: string, hash: string, create: () => Promise<JobView>): Promise<Submitted> {
    const existing = await this.find(userId, key);
    if (existing) return this.replay(existing, hash);

    const lock = `conveyor:idempotency:${userId}:${createHash('sha256').update(key).digest('hex')}`;
    const token = randomUUID();
    if (!(await this.redis.set(lock, token, 'PX', LOCK_MS, 'NX'))) {
      const finished = await this.find(userId, key);
      if (finished) return this.replay(finished, hash);
      throw new AppError(
        'IDEMPOTENCY_KEY_IN_USE',
        'A request with this idempotency key is still being processed. Retry shortly.',
      );
    }
    try {
      const raced = await this.find(userId, key);
      if (raced) return this.replay(raced, hash);
      return { job: await create(), replayed: false };
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505') {
        const winner = await this.find(userId, key);
        if (winner) return this.replay(winner, hash);
      }
      throw error;
    } finally {
      await this.redis.eval(RELEASE, 1, lock, token).catch(() => undefined);
    }
  }

  /** Whether a job holds the key (a request with it is a replay or a 422), so it costs no submission. */
  async held(userId: string, key: string): Promise<boolean> {
    return IDEMPOTENCY_KEY_FORMAT.test(key) && (await this.find(userId, key)) !== undefined;
  }

  /** The job holding the key, if within 24 h; an older holder gives the key up. */
  private async find(userId: string, key: string): Promise<JobEntity | undefined> {
    const job = await this.jobs.findOneBy({ userId, idempotencyKey: key });
    if (!job) return undefined;
    if (Date.now() - job.createdAt.getTime() <= KEY_LIFETIME_MS) return job;
    await this.jobs.update({ id: job.id, idempotencyKey: key }, { idempotencyKey: null });
    return undefined;
  }

  private replay(job: JobEntity, hash: string): Submitted {
    if (job.requestHash !== hash) {
      throw new AppError(
        'IDEMPOTENCY_KEY_REUSED',
        'This idempotency key was already used with a different request body.',
      );
    }
    return { job: toJobView(job), replayed: true };
  }
}
