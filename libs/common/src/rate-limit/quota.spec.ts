import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import Redis from 'ioredis';
import { fake } from '@app/testing/fake';
import { FixedWindowLimiter } from './fixed-window-limiter';
import { Quota } from './quota';

/** QuotaCharge on a real limiter (real Redis, DB TEST_REDIS_DB): what it takes, gives back, and shows. */
describe('QuotaCharge', () => {
  const redis = new Redis(`${process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'}`, {
    db: Number(process.env.TEST_REDIS_DB ?? 15),
  });
  const quota = new Quota(new FixedWindowLimiter(redis, 'spec-charge', 3), { verb: 'submit', unit: 'jobs' });
  let subject: string;
  let headers: Record<string, unknown>;
  const response = () =>
    fake<Response>({
      headersSent: false,
      setHeader: (name: string, value: unknown) => (headers[name] = value),
    });

  beforeEach(() => {
    subject = randomUUID();
    headers = {};
  });
  afterAll(() => redis.quit());

  it('shows the count after each take and refund in the X-RateLimit-* headers', async () => {
    const charge = quota.charge(subject, response());
    await charge.take(2);
    expect(headers).toMatchObject({ 'X-RateLimit-Limit': 3, 'X-RateLimit-Remaining': 1 });
    expect(headers['X-RateLimit-Reset']).toBeGreaterThan(0);
    await charge.refund();
    expect(headers['X-RateLimit-Remaining']).toBe(3);
  });

  it('refuses with 429 RATE_LIMITED, the numbers in the message and Retry-After set', async () => {
    await quota.charge(subject, response()).take(2);
    const charge = quota.charge(subject, response());
    const error = await charge.take(2).catch((e: unknown) => e);
    const retryAfter = headers['Retry-After'] as number;
    expect(retryAfter).toBeGreaterThan(0);
    expect(error).toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
      message: `Too many requests. You can submit a maximum of 3 jobs per minute. This request needs 2 and 1 is left. Try again in ${retryAfter} seconds.`,
    });
    expect(headers['X-RateLimit-Remaining']).toBe(1);
    await charge.refund(); // took nothing, gives back nothing
    expect((await quota.limiter.consume(subject, 0)).used).toBe(2);
  });

  it('gives back only what it took and did not keep', async () => {
    const charge = quota.charge(subject, response());
    await charge.take(3);
    charge.keep(1);
    await charge.refund(1);
    await charge.refund(); // the one left that is not kept
    await charge.refund(); // nothing more
    expect((await quota.limiter.consume(subject, 0)).used).toBe(1);
    expect(headers['X-RateLimit-Remaining']).toBe(2);
    // Another request's units are not this one's to give back.
    await quota.charge(subject, response()).take(1);
    await charge.refund(5);
    expect((await quota.limiter.consume(subject, 0)).used).toBe(2);
  });
});
