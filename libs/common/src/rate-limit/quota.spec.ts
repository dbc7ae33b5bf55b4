import { randomUUID } from 'node:crypto';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import Redis from 'ioredis';
import { firstValueFrom, of, throwError } from 'rxjs';
import { AppError } from '../errors/app-error';
import { fake } from '@app/testing/fake';
import { FixedWindowLimiter } from './fixed-window-limiter';
import { Quota, QuotaInterceptor } from './quota';

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

  describe('QuotaInterceptor', () => {
    class TwoUnits extends QuotaInterceptor {
      protected readonly quota = quota;
      protected cost() {
        return 2;
      }
      protected madeNothing(res: Response) {
        return res.getHeader('Idempotent-Replayed') === 'true';
      }
    }
    const sut = new TwoUnits();
    const run = async (outcome: CallHandler, replayed = false) => {
      const res = fake<Response>({
        headersSent: false,
        setHeader: (name: string, value: unknown) => (headers[name] = value),
        getHeader: (name: string) => (name === 'Idempotent-Replayed' && replayed ? 'true' : undefined),
      });
      const req = fake<Request>({ user: { id: subject } });
      const context = fake<ExecutionContext>({
        switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
      });
      return firstValueFrom(await sut.intercept(context, outcome));
    };
    const used = async () => (await quota.limiter.consume(subject, 0)).used;

    it('keeps the units of a request that made something', async () => {
      expect(await run({ handle: () => of('created') })).toBe('created');
      expect(await used()).toBe(2);
      expect(headers['X-RateLimit-Remaining']).toBe(1);
    });

    it.each([
      ['a 400', new AppError('VALIDATION_FAILED', 'Validation failed: type')],
      ['a 404', new AppError('JOB_NOT_FOUND', 'Job not found')],
      ['a 503', new AppError('SERVICE_UNAVAILABLE', 'The job queue is unavailable.')],
      ['an unexpected error', new Error('boom')],
    ])('gives the units of %s back, the headers showing it', async (_name, error) => {
      await expect(run({ handle: () => throwError(() => error) })).rejects.toBe(error);
      expect(await used()).toBe(0);
      expect(headers['X-RateLimit-Remaining']).toBe(3);
    });

    it('gives back what a request that made nothing (a replay) took', async () => {
      expect(await run({ handle: () => of('the original') }, true)).toBe('the original');
      expect(await used()).toBe(0);
      expect(headers['X-RateLimit-Remaining']).toBe(3);
    });

    it('refuses over the limit before the handler runs', async () => {
      await quota.limiter.consume(subject, 2);
      const handle = jest.fn(() => of('created'));
      await expect(run({ handle })).rejects.toMatchObject({ code: 'RATE_LIMITED' });
      expect(handle).not.toHaveBeenCalled();
      expect(await used()).toBe(2);
    });
  });
});
