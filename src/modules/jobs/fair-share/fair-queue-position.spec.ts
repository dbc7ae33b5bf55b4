import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { fake } from '@app/testing/fake';
import { serverUrls, TEST_REDIS_DB } from '../../../../test/test-env';
import { FairQueuePosition } from './fair-queue-position';
import { FairShare } from './fair-share';
import type { TenantLimits } from './tenant-limits';

describe(FairQueuePosition.name, () => {
  const redis = new Redis(`${serverUrls.redis}/${TEST_REDIS_DB}`);
  const prefix = `fair-position-spec-${randomUUID()}`;
  const fair = new FairShare(redis, prefix, 'jobs');
  const sut = new FairQueuePosition(
    fair,
    fake<TenantLimits>({ of: () => Promise.resolve({ weight: 1, cap: 2 }) }),
  );

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('names the running count and the cap for a held job, and nothing for one that is not held', async () => {
    for (const id of ['j1', 'j2', 'j3']) await fair.start('u1', id, 1, 2, 60_000);
    expect(await sut.heldBy('j3', 'u1')).toEqual({ running: 2, limit: 2 });
    expect(await sut.heldBy('j1', 'u1')).toBeNull();
    expect(await sut.heldBy('j3', 'someone-else')).toBeNull();
  });
});
