import { testingContext, type TestingContext } from '@app/testing/job-context';
import { SleepJob } from './sleep.job';

describe(SleepJob.name, () => {
  const handler = new SleepJob();
  let t: TestingContext;

  afterEach(() => t.cleanup());

  it('waits delayMs', async () => {
    t = testingContext();
    const started = performance.now();
    expect(await handler.run({ delayMs: 100 }, t.context)).toEqual({ sleptMs: 100 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('returns at once for delayMs 0: within the same turn of the event loop, no timer involved', async () => {
    t = testingContext();
    const first = await Promise.race([
      handler.run({ delayMs: 0 }, t.context).then(() => 'the run'),
      new Promise((resolve) => setImmediate(() => resolve('the next turn of the event loop'))),
    ]);
    expect(first).toBe('the run');
  });

  it('fails its first failTimes attempts, then succeeds', async () => {
    t = testingContext({ attempt: 1 });
    await expect(handler.run({ delayMs: 0, failTimes: 2 }, t.context)).rejects.toThrow(
      'Simulated failure (attempt 1 of failTimes 2)',
    );
    t.cleanup();
    t = testingContext({ attempt: 2 });
    await expect(handler.run({ delayMs: 0, failTimes: 2 }, t.context)).rejects.toThrow(
      'Simulated failure (attempt 2 of failTimes 2)',
    );
    t.cleanup();
    t = testingContext({ attempt: 3 });
    expect(await handler.run({ delayMs: 0, failTimes: 2 }, t.context)).toEqual({ sleptMs: 0 });
  });

  it('fails every attempt with forceFail', async () => {
    t = testingContext({ attempt: 7 });
    await expect(handler.run({ delayMs: 0, forceFail: true }, t.context)).rejects.toThrow(
      'Simulated failure (attempt 7, forceFail)',
    );
  });

  it('rejects at once with the signal reason when aborted mid-wait', async () => {
    t = testingContext();
    const started = performance.now();
    const pending = handler.run({ delayMs: 60_000 }, t.context);
    setTimeout(() => t.controller.abort(new Error('Job timed out after 50 ms')), 50);
    await expect(pending).rejects.toThrow('Job timed out after 50 ms');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('does not start when the signal has already fired', async () => {
    t = testingContext();
    t.controller.abort(new Error('Job cancelled'));
    await expect(handler.run({ delayMs: 0 }, t.context)).rejects.toThrow('Job cancelled');
  });
});
