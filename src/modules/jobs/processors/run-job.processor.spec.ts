import { fake } from '@app/testing/fake';
import type { CommandBus } from '@nestjs/cqrs';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { RunJobAttemptCommand } from '../commands/run-job-attempt/run-job-attempt.command';
import type { JobSlots } from '../fair-share/job-slots';
import type { JobReconciler } from '../job-reconciler';
import type { RunJobData } from '../jobs.queue';
import { RetryableJobError, runJobBackoff, RunJobProcessor } from './run-job.processor';

const J1 = '0f9b3a52-5c1e-4d7a-9a43-2f1b8e6c7d10';

describe(RunJobProcessor.name, () => {
  const commands = { execute: jest.fn() };
  const reconciler = {
    requeueIfOrphaned: jest.fn(() => Promise.resolve(true)),
    quarantine: jest.fn(() => Promise.resolve()),
  };
  const slots = {
    acquire: jest.fn((): Promise<unknown> => Promise.resolve({ run: true })),
    releaseQuietly: jest.fn(() => Promise.resolve()),
  };
  const sut = new RunJobProcessor(
    fake<CommandBus>(commands),
    fake<JobReconciler>(reconciler),
    fake<JobSlots>(slots),
  );
  const queued = (attemptsMade = 0, attempts = 4) =>
    fake<Job<RunJobData>>({ data: { jobId: J1 }, attemptsMade, opts: { attempts } });

  beforeEach(() => jest.clearAllMocks());

  it('refuses, for good and before touching the database, a queue entry that is not a Conveyor job', async () => {
    await expect(
      sut.process(
        fake<Job<RunJobData>>({ data: { jobId: 'x; DROP TABLE jobs' }, attemptsMade: 0, opts: {} }),
      ),
    ).rejects.toBeInstanceOf(UnrecoverableError);
    expect(commands.execute).not.toHaveBeenCalled();
  });

  it("holds an entry over its owner's cap without running an attempt", async () => {
    slots.acquire.mockResolvedValueOnce({ run: false, went: 'delayed' });
    await expect(sut.process(queued(), 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(slots.acquire).toHaveBeenCalledWith(expect.anything(), 'token');
    expect(commands.execute).not.toHaveBeenCalled();
  });

  it('gives a capped slot back after the attempt, also when the attempt throws', async () => {
    const slot = { tenant: 'u1', id: J1, cap: 3 };
    slots.acquire.mockResolvedValue({ run: true, slot });
    commands.execute.mockResolvedValueOnce({ kind: 'done' }).mockRejectedValueOnce(new Error('db down'));
    await sut.process(queued());
    await expect(sut.process(queued())).rejects.toThrow('db down');
    expect(slots.releaseQuietly.mock.calls).toEqual([[slot], [slot]]);
    slots.acquire.mockResolvedValue({ run: true });
  });

  it("runs the attempt with the queue entry's attempt budget", async () => {
    commands.execute.mockResolvedValue({ kind: 'done' });
    await sut.process(queued(2, 4));
    await sut.process(fake<Job<RunJobData>>({ data: { jobId: J1 }, attemptsMade: 0, opts: {} }));
    expect(commands.execute.mock.calls).toEqual([
      [new RunJobAttemptCommand(J1, 2, 4)],
      [new RunJobAttemptCommand(J1, 0, 1)],
    ]);
  });

  it.each(['done', 'cancelled', 'skipped'] as const)(
    'completes the queue entry quietly when %s',
    async (kind) => {
      commands.execute.mockResolvedValue({ kind });
      await expect(sut.process(queued())).resolves.toBeUndefined();
    },
  );

  it('a retry rethrows, and BullMQ waits exactly the delay recorded as nextRetryAt', async () => {
    commands.execute.mockResolvedValue({ kind: 'retry', error: 'boom', delayMs: 4321 });
    const error = (await sut.process(queued(1, 4)).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(RetryableJobError);
    expect(error).not.toBeInstanceOf(UnrecoverableError);
    expect(error.message).toBe('boom');
    expect(runJobBackoff(2, 'conveyor', error)).toBe(4321);
  });

  it('a final failure is unrecoverable', async () => {
    commands.execute.mockResolvedValue({ kind: 'failed', error: 'boom' });
    const error = await sut.process(queued(3, 4)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error).toMatchObject({ message: 'boom' });
  });

  it('queues a job retried while its cancelled attempt held the queue entry, once the entry is gone', async () => {
    commands.execute.mockResolvedValue({ kind: 'cancelled' });
    await sut.process(queued());
    sut.queueRetriedMeanwhile(queued());
    sut.queueRetriedMeanwhile(queued()); // once per cancelled attempt
    expect(reconciler.requeueIfOrphaned.mock.calls).toEqual([[J1]]);
  });

  it('leaves the entries of other outcomes alone when they complete', async () => {
    commands.execute.mockResolvedValue({ kind: 'done' });
    await sut.process(queued());
    sut.queueRetriedMeanwhile(queued());
    expect(reconciler.requeueIfOrphaned).not.toHaveBeenCalled();
  });

  it('quarantines the job of an entry BullMQ failed for stalling too often, and no other', () => {
    const stalledOut = fake<Job<RunJobData>>({
      data: { jobId: J1 },
      deferredFailure: 'job stalled more than allowable limit',
      stalledCounter: 4,
    });
    sut.quarantineIfStalledOut(stalledOut);
    sut.quarantineIfStalledOut(fake<Job<RunJobData>>({ data: { jobId: J1 }, failedReason: 'boom' }));
    sut.quarantineIfStalledOut(undefined);
    expect(reconciler.quarantine.mock.calls).toEqual([[J1, 4]]);
  });
});
