import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { eventually } from '@app/testing/eventually';
import { fake } from '@app/testing/fake';
import { testConfig } from '@app/testing/job-context';
import { serverUrls, TEST_REDIS_DB } from '../../../test/test-env';
import { FairShare, REBASE_AT } from '../jobs/fair-share/fair-share';
import type { TenantLimits } from '../jobs/fair-share/tenant-limits';
import { WebhookQueue } from './webhook-queue';
import { type DeliverWebhookData, WEBHOOKS_QUEUE } from './webhooks.queue';

/** On a real BullMQ queue and real Redis (the test DB), each test under a prefix of its own. */
describe(WebhookQueue.name, () => {
  const url = `${serverUrls.redis}/${TEST_REDIS_DB}`;
  const redis = new Redis(url);
  const limitOf = (tenant: string) => ({ weight: tenant === 'heavy' ? 2 : 1, cap: 0 });
  const limits = {
    of: (tenant: string) => Promise.resolve(limitOf(tenant)),
    ofMany: (tenants: string[]) => Promise.resolve(new Map(tenants.map((t) => [t, limitOf(t)]))),
  };
  let prefix: string;
  let queue: Queue<DeliverWebhookData>;
  let fair: FairShare;
  const make = (fairSharing = true) =>
    new WebhookQueue(
      queue,
      fair,
      fake<TenantLimits>(limits),
      testConfig({ FAIR_SHARING: String(fairSharing) }),
    );
  const delivery = (userId: string, deliveryId: string = randomUUID()): DeliverWebhookData => ({
    deliveryId,
    jobId: randomUUID(),
    userId,
    url: 'https://hooks.example.com/x',
    event: 'job.done',
    body: '{}',
  });
  /** The users of the waiting entries in the order BullMQ hands them to workers. */
  const startOrder = async () =>
    (await queue.getJobs(['prioritized', 'wait'], 0, -1, true)).map((entry) => entry.data.userId);

  beforeEach(() => {
    prefix = `webhook-queue-spec-${randomUUID().slice(0, 8)}`;
    queue = new Queue<DeliverWebhookData>(WEBHOOKS_QUEUE, { connection: { url }, prefix });
    fair = new FairShare(redis, prefix, 'webhooks');
  });
  afterEach(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  });
  afterAll(() => redis.quit());

  it("puts a newcomer's delivery next, not behind another user's backlog of deliveries", async () => {
    const sut = make();
    for (let i = 0; i < 30; i++) await sut.add(delivery('a'), 3);
    await sut.add(delivery('b'), 3);
    const order = await startOrder();
    expect(order).toHaveLength(31);
    expect(order.indexOf('b')).toBeLessThanOrEqual(1);
  });

  it("gives tags of the user's weight, with the delivery's attempts and backoff", async () => {
    const sut = make();
    const [a1, a2, h1, h2] = [delivery('a'), delivery('a'), delivery('heavy'), delivery('heavy')];
    for (const d of [a1, a2, h1, h2]) await sut.add(d, 4);
    const tags = await Promise.all([a1, a2, h1, h2].map(async (d) => (await queue.getJob(d.deliveryId))!));
    expect(tags.map((entry) => entry.priority)).toEqual([2, 4, 1, 2]);
    expect(tags[0].opts).toMatchObject({ jobId: a1.deliveryId, attempts: 4, backoff: { type: 'webhook' } });
  });

  it('queues a delivery once under its id', async () => {
    const sut = make();
    const d = delivery('a');
    await sut.add(d, 3);
    await sut.add(d, 3);
    expect(await startOrder()).toEqual(['a']);
  });

  it('with FAIR_SHARING=false, queues first come, first served (no tags)', async () => {
    const sut = make(false);
    for (let i = 0; i < 5; i++) await sut.add(delivery('a'), 3);
    await sut.add(delivery('b'), 3);
    expect(await startOrder()).toEqual(['a', 'a', 'a', 'a', 'a', 'b']);
    expect(await fair.virtualTime()).toBe(0);
  });

  it('rebases past REBASE_AT: waiting and delayed deliveries move down by V, keeping their order', async () => {
    const sut = make();
    await redis.set(`${prefix}:{fair:webhooks}:v`, String(REBASE_AT + 10));
    // A backlog from before: one waiting its turn, one waiting out a retry's backoff.
    await queue.add('deliver', delivery('a', 'waiting'), { jobId: 'waiting', priority: REBASE_AT + 15 });
    await queue.add('deliver', delivery('a', 'retry'), {
      jobId: 'retry',
      priority: REBASE_AT + 17,
      delay: 3_600_000,
    });
    const d = delivery('b');
    await sut.add(d, 3); // its tag, V + 2, passes REBASE_AT: the rebase starts in the background
    await eventually(async () => expect(await fair.virtualTime()).toBe(0));
    const priorities = await Promise.all(
      ['waiting', 'retry', d.deliveryId].map(async (id) => (await queue.getJob(id))!.priority),
    );
    expect(priorities).toEqual([5, 7, 2]);
    expect(await queue.getJobState('retry')).toBe('delayed');
  });

  it('wakes a held (delayed) delivery into its turn, and says when there is none', async () => {
    const sut = make();
    await queue.add('deliver', delivery('a', 'held'), { jobId: 'held', priority: 3, delay: 60_000 });
    expect(await sut.wake('held')).toBe('woken');
    expect(await queue.getJobState('held')).toBe('prioritized');
    expect(await sut.wake('held')).toBe('coming');
    expect(await sut.wake('no-such-delivery')).toBe('gone');
  });
});
