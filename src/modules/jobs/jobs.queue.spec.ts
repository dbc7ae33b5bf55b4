import { retryDelayMs, runJobOptions } from './jobs.queue';

describe('retryDelayMs', () => {
  it.each([1, 2, 3, 4, 5])('waits 2^%i s plus under a second of jitter', (n) => {
    const base = 2 ** n * 1000;
    expect(retryDelayMs(n, () => 0)).toBe(base);
    expect(retryDelayMs(n, () => 0.5)).toBe(base + 500);
    expect(retryDelayMs(n, () => 0.9999999)).toBe(base + 999);
    const d = retryDelayMs(n);
    expect(d).toBeGreaterThanOrEqual(base);
    expect(d).toBeLessThanOrEqual(base + 999);
    expect(Number.isInteger(d)).toBe(true);
  });
});

describe('runJobOptions', () => {
  const job = { id: 'j1', priority: 'normal' as const, maxRetries: 3, runAt: null };

  it('queues the row under its own id with 1 + maxRetries attempts', () => {
    expect(runJobOptions(job)).toMatchObject({ jobId: 'j1', attempts: 4, delay: 0 });
    expect(runJobOptions({ ...job, maxRetries: 0 }).attempts).toBe(1);
  });

  it('runs high before normal before low (BullMQ: lower first)', () => {
    const [high, normal, low] = (['high', 'normal', 'low'] as const).map(
      (priority) => runJobOptions({ ...job, priority }).priority!,
    );
    expect(high).toBeGreaterThan(0);
    expect(high).toBeLessThan(normal);
    expect(normal).toBeLessThan(low);
  });

  it('delays until a future runAt, not for a past one', () => {
    const delay = runJobOptions({ ...job, runAt: new Date(Date.now() + 60_000) }).delay!;
    expect(delay).toBeGreaterThan(59_000);
    expect(delay).toBeLessThanOrEqual(60_000);
    expect(runJobOptions({ ...job, runAt: new Date(Date.now() - 60_000) }).delay).toBe(0);
  });
});
