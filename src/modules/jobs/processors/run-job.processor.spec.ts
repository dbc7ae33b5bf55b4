import { Logger } from '@nestjs/common';
import { fake } from '@app/testing/fake';
import { PrivateTargetError } from '@app/common/net/outbound-http';
import { Job, UnrecoverableError } from 'bullmq';
import type Redis from 'ioredis';
import type { ArtifactStore } from '../artifacts/artifact-store';
import type { JobContext } from '../job-types/job-type';
import { JobCancellation } from '../job-cancellation';
import type { JobTypeRegistry } from '../job-type-registry';
import type { JobLogWriter } from '../job-log-writer';
import type { JobStore } from '../job-store';
import type { RunJobData } from '../jobs.queue';
import { JobTimeoutError, RUN_JOB_WORKER_OPTIONS, RunJobProcessor } from './run-job.processor';

const J1 = '0f9b3a52-5c1e-4d7a-9a43-2f1b8e6c7d10';

describe(RunJobProcessor.name, () => {
  const store = {
    start: jest.fn(),
    progress: jest.fn(),
    succeed: jest.fn(),
    scheduleRetry: jest.fn(),
    fail: jest.fn(),
  };
  const run = jest.fn<Promise<unknown>, [object, JobContext]>();
  const registry = {
    get: jest.fn(() => ({ instance: { run } })),
    instantiate: jest.fn((_type: string, payload: object) => ({ ...payload })),
  };
  const cancellation = new JobCancellation(fake<Redis>({}));
  const artifacts = {
    write: jest.fn((jobId: string, filename: string, data: Buffer) =>
      Promise.resolve({ path: `${jobId}/${filename}`, bytes: data.length }),
    ),
  };
  const logs = { append: jest.fn(() => Promise.resolve()), flush: jest.fn(() => Promise.resolve()) };
  const sut = new RunJobProcessor(
    fake<JobStore>(store),
    fake<JobTypeRegistry>(registry),
    cancellation,
    fake<ArtifactStore>(artifacts),
    fake<JobLogWriter>(logs),
  );
  const row = {
    id: J1,
    userId: 'u1',
    type: 'sleep',
    payload: { delayMs: 1 },
    attempts: 1,
    timeoutMs: 5000,
  };
  const queued = (attemptsMade = 0, attempts = 4) =>
    fake<Job<RunJobData>>({ data: { jobId: J1 }, attemptsMade, opts: { attempts } });
  const never = () => new Promise<never>(() => undefined);
  /** The context the handler got, once it runs. */
  const handlerStarted = () =>
    new Promise<JobContext>((resolve) =>
      run.mockImplementation((_payload, context) => {
        resolve(context);
        return never();
      }),
    );

  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());
  beforeEach(() => {
    jest.clearAllMocks();
    run.mockReset();
    store.start.mockResolvedValue(row);
  });

  it('refuses, for good and before touching the database, a queue entry that is not a Conveyor job', async () => {
    await expect(
      sut.process(
        fake<Job<RunJobData>>({ data: { jobId: 'x; DROP TABLE jobs' }, attemptsMade: 0, opts: {} }),
      ),
    ).rejects.toBeInstanceOf(UnrecoverableError);
    expect(store.start).not.toHaveBeenCalled();
  });

  it('runs nothing when the job cannot start (cancelled, finished or gone)', async () => {
    store.start.mockResolvedValue(undefined);
    await expect(sut.process(queued())).resolves.toBeUndefined();
    expect(store.start).toHaveBeenCalledWith(J1);
    expect(run).not.toHaveBeenCalled();
  });

  it('fails a job whose type has no handler, for good', async () => {
    registry.get.mockReturnValueOnce(undefined as never);
    await expect(sut.process(queued())).rejects.toBeInstanceOf(UnrecoverableError);
    expect(store.fail).toHaveBeenCalledWith(J1, 1, "No handler for job type 'sleep' in this worker");
  });

  it('records the result and the saved artifact on success', async () => {
    run.mockImplementation(async (payload, context) => {
      context.log('working');
      await context.saveArtifact({ data: Buffer.from('abc'), filename: 'out.csv', contentType: 'text/csv' });
      return { echoed: payload };
    });
    await expect(sut.process(queued())).resolves.toBeUndefined();
    expect(registry.instantiate).toHaveBeenCalledWith('sleep', { delayMs: 1 });
    expect(run.mock.calls[0][1]).toMatchObject({ jobId: J1, userId: 'u1', attempt: 1 });
    expect(logs.append).toHaveBeenCalledWith(J1, 'info', 'working');
    expect(store.succeed).toHaveBeenCalledWith(
      J1,
      1,
      { echoed: { delayMs: 1 } },
      { path: `${J1}/out.csv`, contentType: 'text/csv' },
    );
    expect(logs.flush.mock.invocationCallOrder[0]).toBeLessThan(store.succeed.mock.invocationCallOrder[0]);
    expect(store.fail).not.toHaveBeenCalled();
  });

  it.each([1, 2, 3])(
    'after failed attempt %i with retries left, schedules a retry in 2^n s and rethrows',
    async (n) => {
      run.mockRejectedValue(new Error('boom'));
      store.start.mockResolvedValue({ ...row, attempts: n });
      const error = (await sut.process(queued(n - 1, 4)).catch((e: unknown) => e)) as Error & {
        delayMs: number;
      };
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(UnrecoverableError);
      expect(error.message).toBe('boom');
      const [id, attempt, message, delayMs] = store.scheduleRetry.mock.calls[0] as [
        string,
        number,
        string,
        number,
      ];
      expect([id, attempt, message]).toEqual([J1, n, 'boom']);
      expect(delayMs).toBeGreaterThanOrEqual(2 ** n * 1000);
      expect(delayMs).toBeLessThanOrEqual(2 ** n * 1000 + 999);
      // BullMQ waits exactly the delay recorded as nextRetryAt.
      expect(RUN_JOB_WORKER_OPTIONS.settings!.backoffStrategy!(n, 'conveyor', error)).toBe(delayMs);
      expect(store.fail).not.toHaveBeenCalled();
    },
  );

  it('fails the job for good on the last attempt', async () => {
    run.mockRejectedValue(new Error('boom'));
    store.start.mockResolvedValue({ ...row, attempts: 4 });
    const error = await sut.process(queued(3, 4)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error).toMatchObject({ message: 'boom' });
    expect(store.fail).toHaveBeenCalledWith(J1, 4, 'boom');
    expect(store.scheduleRetry).not.toHaveBeenCalled();
  });

  it('does not retry a refused private target', async () => {
    run.mockRejectedValue(new PrivateTargetError('127.0.0.1', '127.0.0.1'));
    await expect(sut.process(queued(0, 4))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(store.fail).toHaveBeenCalledWith(J1, 1, expect.stringContaining('Refused to connect'));
    expect(store.scheduleRetry).not.toHaveBeenCalled();
  });

  it('times out a handler that never settles and aborts its signal', async () => {
    store.start.mockResolvedValue({ ...row, timeoutMs: 20 });
    const started = handlerStarted();
    const error = await sut.process(queued(0, 1)).catch((e: unknown) => e);
    const { signal } = await started;
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error).toMatchObject({ message: 'Job timed out after 20 ms' });
    expect(store.fail).toHaveBeenCalledWith(J1, 1, 'Job timed out after 20 ms');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(JobTimeoutError);
  });

  it('retries a timed-out attempt when retries are left', async () => {
    store.start.mockResolvedValue({ ...row, timeoutMs: 20 });
    void handlerStarted();
    await expect(sut.process(queued(0, 2))).rejects.toThrow('Job timed out after 20 ms');
    expect(store.scheduleRetry).toHaveBeenCalledWith(J1, 1, 'Job timed out after 20 ms', expect.any(Number));
  });

  it('stops quietly on cancel: a log line, no success or failure recorded', async () => {
    const started = handlerStarted();
    const processing = sut.process(queued());
    const { signal } = await started;
    cancellation.abortLocal(J1);
    await expect(processing).resolves.toBeUndefined();
    expect(signal.aborted).toBe(true);
    expect(logs.append).toHaveBeenCalledWith(J1, 'warn', 'Attempt 1 stopped: the job was cancelled');
    expect(store.succeed).not.toHaveBeenCalled();
    expect(store.fail).not.toHaveBeenCalled();
    expect(store.scheduleRetry).not.toHaveBeenCalled();
  });

  it('clamps progress to 0..100, rounds it and skips repeats', async () => {
    store.progress.mockResolvedValue(undefined);
    run.mockImplementation((_payload, context) => {
      for (const percent of [-5, 0, 49.6, 50, 50.2, 150, 100, 99, -10]) context.progress(percent);
      return Promise.resolve(null);
    });
    await sut.process(queued());
    expect(store.progress.mock.calls).toEqual([
      [J1, 1, 50],
      [J1, 1, 100],
      [J1, 1, 99],
      [J1, 1, 0],
    ]);
  });

  describe('on shutdown (onModuleDestroy, before the EventBus drops its handlers)', () => {
    const shuttingDown = (jobsFinished: Promise<void>) => {
      const worker = {
        isRunning: jest.fn(() => true),
        pause: jest.fn(() => jobsFinished),
        close: jest.fn((_force?: boolean) => Promise.resolve()),
      };
      const drain = jest.fn(() => Promise.resolve());
      const processor = new RunJobProcessor(
        fake<JobStore>(store),
        fake<JobTypeRegistry>(registry),
        cancellation,
        fake<ArtifactStore>(artifacts),
        fake<JobLogWriter>({ ...logs, drain }),
      );
      Object.assign(processor, { _worker: worker, registered: true, shutdownGraceMs: 30 });
      return { processor, worker, drain };
    };

    it('lets running jobs finish, then closes the worker and writes their pending log lines', async () => {
      const { processor, worker, drain } = shuttingDown(Promise.resolve());
      await processor.onModuleDestroy();
      expect(worker.pause).toHaveBeenCalled();
      expect(worker.close).toHaveBeenCalledWith(false);
      expect(drain.mock.invocationCallOrder[0]).toBeGreaterThan(worker.close.mock.invocationCallOrder[0]);
      expect(Logger.prototype.warn).not.toHaveBeenCalled();
    });

    it('past the grace period closes without waiting for the jobs (a plain close() would wait)', async () => {
      const { processor, worker, drain } = shuttingDown(never());
      await processor.onModuleDestroy();
      expect(worker.close).toHaveBeenCalledTimes(1);
      expect(worker.close).toHaveBeenCalledWith(true);
      expect(drain).toHaveBeenCalled();
      expect(Logger.prototype.warn).toHaveBeenCalledWith(
        'Jobs still running after 30 ms: leaving them to another worker',
      );
    });

    it('does nothing in a process that runs no jobs', async () => {
      const { processor, worker } = shuttingDown(Promise.resolve());
      processor.registered = false;
      await processor.onModuleDestroy();
      expect(worker.pause).not.toHaveBeenCalled();
      expect(worker.close).not.toHaveBeenCalled();
    });
  });

  it('a progress write that fails does not fail the job', async () => {
    store.progress.mockRejectedValue(new Error('db down'));
    run.mockImplementation((_payload, context) => {
      context.progress(10);
      return Promise.resolve('ok');
    });
    await expect(sut.process(queued())).resolves.toBeUndefined();
    expect(store.succeed).toHaveBeenCalledWith(J1, 1, 'ok', undefined);
  });
});
