import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { serverUrls, TEST_REDIS_DB } from '../../../../test/test-env';
import { FairShare, MAX_TAG, REBASE_AT, type TagRequest } from './fair-share';

/** Against real Redis (the test DB), each test under a prefix of its own. */
describe(FairShare.name, () => {
  const redis = new Redis(`${serverUrls.redis}/${TEST_REDIS_DB}`);
  let prefix: string;
  let sut: FairShare;
  const many = (n: number, request: TagRequest) => Array.from({ length: n }, () => request);
  const RUN = { kind: 'run' };
  const HELD = { kind: 'held' };
  /** The order in which BullMQ would start them: lower tag first, ties in submission order. */
  const order = (labels: string[], tags: number[]) =>
    labels.map((label, i) => ({ label, tag: tags[i], i })).sort((a, b) => a.tag - b.tag || a.i - b.i);

  beforeEach(() => {
    prefix = `fair-spec-${randomUUID()}`;
    sut = new FairShare(redis, prefix, 'jobs');
  });
  afterEach(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  });
  afterAll(() => redis.quit());

  it("puts a newcomer's jobs between another tenant's backlog, not behind it", async () => {
    const a = await sut.tags(many(200, { tenant: 'a', priority: 'normal', weight: 1 }));
    const b = await sut.tags(many(10, { tenant: 'b', priority: 'normal', weight: 1 }));
    const started = order([...a.map(() => 'a'), ...b.map(() => 'b')], [...a, ...b]);
    const lastB = started.map((s) => s.label).lastIndexOf('b');
    expect(lastB).toBeLessThan(21); // b's 10 jobs alternate with a's first 10
    expect(a).toEqual([...a].sort((x, y) => x - y)); // a's own stay in submission order
  });

  it('starts a tenant back at the virtual time after it was idle (no credit saved up, no debt)', async () => {
    await sut.tags(many(50, { tenant: 'a', priority: 'normal', weight: 1 }));
    const [first] = await sut.tags([{ tenant: 'b', priority: 'normal', weight: 1 }]);
    expect(await sut.start('a', 'a-job', 60, 0, 1000)).toEqual(RUN); // a's job with tag 60 starts: V = 60
    expect(await sut.virtualTime()).toBe(60);
    const [again] = await sut.tags([{ tenant: 'b', priority: 'normal', weight: 1 }]);
    expect(first).toBe(2);
    expect(again).toBe(62);
  });

  it('runs high before normal before low within a tenant, and gives an all-high tenant at most 2/3', async () => {
    const normal = await sut.tags(many(5, { tenant: 'a', priority: 'normal', weight: 1 }));
    const low = await sut.tags(many(5, { tenant: 'a', priority: 'low', weight: 1 }));
    const high = await sut.tags(many(5, { tenant: 'a', priority: 'high', weight: 1 }));
    expect(Math.max(...high)).toBeLessThanOrEqual(Math.min(...normal.slice(3)));
    expect(high[0]).toBeLessThan(normal[0]);
    expect(low[0]).toBeGreaterThan(normal[0]);

    const h = await sut.tags(many(300, { tenant: 'h', priority: 'high', weight: 1 }));
    const n = await sut.tags(many(300, { tenant: 'n', priority: 'normal', weight: 1 }));
    const first300 = order([...h.map(() => 'h'), ...n.map(() => 'n')], [...h, ...n]).slice(0, 300);
    const share = first300.filter((s) => s.label === 'h').length / 300;
    expect(share).toBeGreaterThan(0.6);
    expect(share).toBeLessThanOrEqual(0.67);
  });

  it('gives a weight-2 tenant twice the share of a weight-1 one', async () => {
    const heavy = await sut.tags(many(300, { tenant: 'w2', priority: 'normal', weight: 2 }));
    const light = await sut.tags(many(300, { tenant: 'w1', priority: 'normal', weight: 1 }));
    const first = order([...heavy.map(() => 'w2'), ...light.map(() => 'w1')], [...heavy, ...light]);
    const share = first.slice(0, 300).filter((s) => s.label === 'w2').length / 300;
    expect(share).toBeCloseTo(2 / 3, 1);
  });

  it("gives each of a tenant's turns to its best waiting job: a better class takes a worse one's turn", async () => {
    const job = (id: string, priority: TagRequest['priority']) => ({ tenant: 'a', priority, weight: 1, id });
    const [low, normal1, high, normal2] = await sut.tags([
      job('low', 'low'),
      job('n1', 'normal'),
      job('high', 'high'),
      job('n2', 'normal'),
    ]);
    // Two workers took n1 and high at once; n1's start comes first.
    expect(await sut.start('a', 'n1', normal1, 0, 1000)).toEqual({ kind: 'yield', to: 'high' });
    // high, brought forward, starts without yielding again. Within a class the tags are in submission order
    // already: a job never yields to one of its own class.
    expect(await sut.start('a', 'high', high, 0, 1000)).toEqual(RUN);
    expect(await sut.start('a', 'n2', normal2, 0, 1000)).toEqual(RUN);
    expect(await sut.start('a', 'low', low, 0, 1000)).toEqual({ kind: 'yield', to: 'n1' });
    expect(await sut.start('a', 'n1', normal1, 0, 1000)).toEqual(RUN);
    expect(await sut.start('a', 'low', low, 0, 1000)).toEqual(RUN);
    // Another tenant's jobs never yield to this one's.
    await sut.tags([{ tenant: 'b', priority: 'low', weight: 1, id: 'b-low' }]);
    await sut.tags([job('late-high', 'high')]);
    expect(await sut.start('b', 'b-low', 10, 0, 1000)).toEqual(RUN);
  });

  it('keeps tags within BullMQ priorities (1..2^21-1) however long a backlog', async () => {
    await redis.set(`${prefix}:{fair:jobs}:v`, String(MAX_TAG - 3));
    const tags = await sut.tags(many(5, { tenant: 'a', priority: 'normal', weight: 1 }));
    expect(tags).toEqual([MAX_TAG - 1, MAX_TAG, MAX_TAG, MAX_TAG, MAX_TAG]);
  });

  it('caps running jobs, holds the rest, and hands a freed slot to the next held job', async () => {
    expect(await sut.start('a', 'j1', 1, 2, 60_000)).toEqual(RUN);
    expect(await sut.start('a', 'j2', 2, 2, 60_000)).toEqual(RUN);
    expect(await sut.start('a', 'j3', 3, 2, 60_000)).toEqual(HELD);
    expect(await sut.start('a', 'j4', 4, 2, 60_000)).toEqual(HELD);
    expect(await sut.start('b', 'k1', 5, 2, 60_000)).toEqual(RUN); // another tenant is not affected
    expect(await sut.slots('a')).toEqual({ running: 2, held: 2 });
    expect(await sut.isHeld('a', 'j3')).toBe(true);

    // j1 ends: its slot is reserved for j3 (lowest tag), whom nobody else can take it from.
    expect(await sut.release('a', 'j1', 2, 60_000)).toEqual(['j3']);
    expect(await sut.hasSlot('a', 'j3')).toBe(true);
    expect(await sut.start('a', 'j5', 6, 2, 60_000)).toEqual(HELD);
    expect(await sut.start('a', 'j3', 3, 2, 60_000)).toEqual(RUN);
    expect(await sut.slots('a')).toEqual({ running: 2, held: 2 });
    // A re-taken job (its worker died) keeps the slot it had.
    expect(await sut.start('a', 'j2', 2, 2, 60_000)).toEqual(RUN);
  });

  it("gives a dead worker's slot back when its lease ends", async () => {
    expect(await sut.start('a', 'j1', 1, 1, 1)).toEqual(RUN);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await sut.start('a', 'j2', 2, 1, 60_000)).toEqual(RUN);
  });

  it('advances V only for jobs that start, not for held ones', async () => {
    expect(await sut.start('a', 'j1', 10, 1, 60_000)).toEqual(RUN);
    expect(await sut.start('a', 'j2', 20, 1, 60_000)).toEqual(HELD);
    expect(await sut.virtualTime()).toBe(10);
  });

  it('rebases V, the lasts and the waiting tags by the same offset', async () => {
    await redis.set(`${prefix}:{fair:jobs}:v`, String(REBASE_AT + 10));
    const [before] = await sut.tags([{ tenant: 'a', priority: 'normal', weight: 1 }]);
    const shifted: number[] = [];
    expect(await sut.rebase((offset) => Promise.resolve(void shifted.push(offset)))).toBe(true);
    expect(shifted).toEqual([REBASE_AT + 10]);
    expect(await sut.virtualTime()).toBe(0);
    const [after] = await sut.tags([{ tenant: 'a', priority: 'normal', weight: 1 }]);
    expect(after).toBe(before - shifted[0] + 2);
    expect(await sut.rebase(() => Promise.resolve())).toBe(false); // nothing to do below REBASE_AT
  });
});
