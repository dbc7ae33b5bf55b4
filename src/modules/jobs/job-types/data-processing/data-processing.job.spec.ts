import { testingContext, type TestingContext } from '@app/testing/job-context';
import { DataProcessingJob } from './data-processing.job';

describe(DataProcessingJob.name, () => {
  const handler = new DataProcessingJob();
  let t: TestingContext;

  beforeEach(() => (t = testingContext()));
  afterEach(() => t.cleanup());

  it('computes count, sum, mean, min and max', async () => {
    expect(await handler.run({ numbers: [4, -8, 15.5, 16, 23, 42] }, t.context)).toEqual({
      count: 6,
      sum: 92.5,
      mean: 92.5 / 6,
      min: -8,
      max: 42,
    });
  });

  it('handles a single number', async () => {
    expect(await handler.run({ numbers: [7] }, t.context)).toEqual({
      count: 1,
      sum: 7,
      mean: 7,
      min: 7,
      max: 7,
    });
  });

  it('handles 100 000 numbers in chunks, reporting progress', async () => {
    const numbers = Array.from({ length: 100_000 }, (_, i) => i + 1);
    expect(await handler.run({ numbers }, t.context)).toEqual({
      count: 100_000,
      sum: 5_000_050_000,
      mean: 50_000.5,
      min: 1,
      max: 100_000,
    });
    expect(t.progress).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });

  it('stops between chunks when the signal fires', async () => {
    const numbers = Array.from({ length: 100_000 }, () => 1);
    const pending = handler.run({ numbers }, t.context);
    t.controller.abort(new Error('Job cancelled'));
    await expect(pending).rejects.toThrow('Job cancelled');
    expect(t.progress).toEqual([10]);
  });
});
