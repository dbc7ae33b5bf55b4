import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { FixedWindowLimiter } from './fixed-window-limiter';

/** Against a real Redis (TEST_REDIS_URL, DB TEST_REDIS_DB); every test has its own subject, so no flush. */
describe(FixedWindowLimiter.name, () => {
  const redis = new Redis(`${process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'}`, {
    db: Number(process.env.TEST_REDIS_DB ?? 15),
  });
  const limiter = new FixedWindowLimiter(redis, 'spec', 5);
  let subject: string;
  const key = () => `conveyor:quota:spec:${subject}`;

  beforeEach(() => {
    subject = randomUUID();
  });
  afterAll(() => redis.quit());

  it('counts units up to the limit and refuses past it, adding nothing', async () => {
    expect(await limiter.consume(subject, 2)).toMatchObject({ allowed: true, used: 2, limit: 5 });
    expect(await limiter.consume(subject, 3)).toMatchObject({ allowed: true, used: 5 });
    const refused = await limiter.consume(subject, 1);
    expect(refused).toMatchObject({ allowed: false, used: 5 });
    expect(refused.resetSeconds).toBeGreaterThan(0);
    expect(refused.resetSeconds).toBeLessThanOrEqual(60);
    expect(await redis.hget(key(), 'used')).toBe('5');
  });

  it('refuses a request bigger than what is left whole', async () => {
    await limiter.consume(subject, 3);
    expect(await limiter.consume(subject, 3)).toMatchObject({ allowed: false, used: 3 });
    expect(await limiter.consume(subject, 2)).toMatchObject({ allowed: true, used: 5 });
    expect(await limiter.consume(subject, 6)).toMatchObject({ allowed: false });
    expect(await new FixedWindowLimiter(redis, 'spec', 5).consume(randomUUID(), 6)).toMatchObject({
      allowed: false,
      used: 0,
    });
  });

  it('opens a window that expires after windowSeconds and is not extended by later units', async () => {
    const opened = await limiter.consume(subject, 1);
    const ttl = await redis.pttl(key());
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    const later = await limiter.consume(subject, 1);
    expect(later.windowId).toBe(opened.windowId);
    expect(await redis.pttl(key())).toBeLessThanOrEqual(ttl);
  });

  it('only reads for 0 units: no window is opened', async () => {
    expect(await limiter.consume(subject, 0)).toMatchObject({ allowed: true, used: 0, resetSeconds: 60 });
    expect(await redis.exists(key())).toBe(0);
    await limiter.consume(subject, 5);
    expect(await limiter.consume(subject, 0)).toMatchObject({ allowed: true, used: 5 });
  });

  it('gives units back to their window, never below zero', async () => {
    const { windowId } = await limiter.consume(subject, 4);
    expect(await limiter.refund(subject, 3, windowId)).toMatchObject({ used: 1, limit: 5 });
    expect(await limiter.consume(subject, 4)).toMatchObject({ allowed: true, used: 5 });
    expect(await limiter.refund(subject, 50, windowId)).toMatchObject({ used: 0 });
    expect(await redis.hget(key(), 'used')).toBe('0');
  });

  it('does not credit a later window with a refund for an earlier one', async () => {
    const earlier = await limiter.consume(subject, 4);
    await redis.del(key()); // the window ends (what its expiry does)
    const current = await limiter.consume(subject, 2);
    expect(current.windowId).not.toBe(earlier.windowId);
    expect(await limiter.refund(subject, 4, earlier.windowId)).toMatchObject({ used: 2 });
    expect(await redis.hget(key(), 'used')).toBe('2');
  });

  it('opens nothing when refunding into a window that has ended', async () => {
    const { windowId } = await limiter.consume(subject, 2);
    await redis.del(key());
    expect(await limiter.refund(subject, 2, windowId)).toMatchObject({ used: 0, resetSeconds: 60 });
    expect(await redis.exists(key())).toBe(0);
  });

  it('ends a window when it expires: the next unit opens a fresh one', async () => {
    const short = new FixedWindowLimiter(redis, 'spec', 1, 1);
    const first = await short.consume(subject, 1);
    expect(await short.consume(subject, 1)).toMatchObject({ allowed: false, resetSeconds: 1 });
    // Redis expires the key after 1 s; waiting on that is the test, polled rather than slept.
    for (let tries = 0; (await redis.exists(key())) === 1 && tries < 100; tries++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await short.consume(subject, 1);
    expect(next).toMatchObject({ allowed: true, used: 1 });
    expect(next.windowId).not.toBe(first.windowId);
  });

  it('keeps subjects and quotas apart', async () => {
    await limiter.consume(subject, 5);
    expect(await limiter.consume(randomUUID(), 1)).toMatchObject({ allowed: true, used: 1 });
    expect(await new FixedWindowLimiter(redis, 'other', 5).consume(subject, 1)).toMatchObject({ used: 1 });
  });
});
