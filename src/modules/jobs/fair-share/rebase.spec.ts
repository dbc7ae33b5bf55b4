import { randomUUID } from 'node:crypto';
import type { ConfigService } from '@nestjs/config';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { eventually } from '@app/testing/eventually';
import { fake } from '@app/testing/fake';
import { serverUrls, TEST_REDIS_DB } from '../../../../test/test-env';
import type { Env } from '../../../config/env';
import { JobQueue, type QueueableJob } from '../job-queue';
import type { RunJobData } from '../jobs.queue';
import { FairShare, REBASE_AT } from './fair-share';
import type { TenantLimits } from './tenant-limits';

/** The rebase through JobQueue, on a real BullMQ queue and real Redis (the test DB, a prefix of its own). */
describe('Fair-share rebase (JobQueue + FairShare on Redis)', () => {
  const url = `${serverUrls.redis}/${TEST_REDIS_DB}`;
  const prefix = `rebase-spec-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(url);
  const queue = new Queue<RunJobData>('jobs', { connection: { url }, prefix });
  const fair = new FairShare(redis, prefix, 'jobs');
  const limits = {
    ofMany: (ids: string[]) => Promise.resolve(new Map(ids.map((id) => [id, { weight: 1, cap: 0 }]))),
  };
  const sut = new JobQueue(
    queue,
    fair,
    fake<TenantLimits>(limits),
    fake<ConfigService<Env, true>>({ get: () => true }),
  );
  const job = (id: string, runAt: Date | null = null): QueueableJob => ({
    id,
    userId: 'u1',
    priority: 'normal',
    maxRetries: 0,
    attempts: 0,
    timeoutMs: 1000,
    runAt,
  });

  afterAll(async () => {
    await queue.obliterate({ force: true });
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await queue.close();
    await redis.quit();
  });

  it('moves V, the lasts and every waiting and delayed tag down by the same offset, keeping their order', async () => {
    await redis.set(`${prefix}:{fair:jobs}:v`, String(REBASE_AT + 100));
    await sut.enqueue([job('a1'), job('a2'), job('later', new Date(Date.now() + 3_600_000))]);
    const before = await Promise.all(
      ['a1', 'a2', 'later'].map(async (id) => (await queue.getJob(id))!.priority),
    );
    expect(before).toEqual([REBASE_AT + 102, REBASE_AT + 104, REBASE_AT + 106]);

    // The submission that crossed REBASE_AT started the rebase in the background.
    await eventually(async () => expect(await fair.virtualTime()).toBe(0));
    const after = await Promise.all(
      ['a1', 'a2', 'later'].map(async (id) => (await queue.getJob(id))!.priority),
    );
    expect(after).toEqual([2, 4, 6]);
    expect(await queue.getJobState('a1')).toBe('prioritized');
    expect(await queue.getJobState('later')).toBe('delayed');
    // The next job of the tenant follows its backlog on the new scale.
    await sut.enqueue([job('a3')]);
    expect((await queue.getJob('a3'))!.priority).toBe(8);
  });
});
