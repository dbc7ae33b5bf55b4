import { Logger } from '@nestjs/common';
import { fake } from '@app/testing/fake';
import { PrivateTargetError } from '@app/common/net/outbound-http';
import type Redis from 'ioredis';
import { StorageQuotaExceededError } from '../../artifacts/artifact-limits';
import type { ArtifactStore } from '../../artifacts/artifact-store';
import type { JobContext } from '../../job-types/job-type';
import { PermanentJobError } from '../../job-types/permanent-job-error';
import { JobCancellation } from '../../job-cancellation';
import type { JobTypeRegistry } from '../../job-type-registry';
import type { JobLogWriter } from '../../job-log-writer';
import type { JobStore } from '../../job-store';
import { RunJobAttemptCommand, RunJobAttemptOutcome } from './run-job-attempt.command';
import { JobTimeoutError, RunJobAttemptHandler } from './run-job-attempt.handler';

const J1 = '0f9b3a52-5c1e-4d7a-9a43-2f1b8e6c7d10';

describe(RunJobAttemptHandler.name, () => {
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
    maxBytes: 4096,
    quotaBytes: 10_000,
    write: jest.fn((jobId: string, filename: string, data: Buffer) =>
      Promise.resolve({ path: `${jobId}/${filename}`, bytes: data.length }),
    ),
    remove: jest.fn(() => Promise.resolve()),
  };
  const logs = { append: jest.fn(() => Promise.resolve()), flush: jest.fn(() => Promise.resolve()) };
  const sut = new RunJobAttemptHandler(
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
  /** An attempt of J1 whose queue entry made `attemptsMade` attempts before, of `maxAttempts`. */
  const attempt = (attemptsMade = 0, maxAttempts = 4) =>
    sut.execute(new RunJobAttemptCommand(J1, attemptsMade, maxAttempts));
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

  it('runs nothing when the job cannot start (cancelled, finished or gone)', async () => {
    store.start.mockResolvedValue(undefined);
    await expect(attempt()).resolves.toEqual({ kind: 'skipped' });
    expect(store.start).toHaveBeenCalledWith(J1);
    expect(run).not.toHaveBeenCalled();
  });

  it('fails a job whose type has no handler, for good', async () => {
    registry.get.mockReturnValueOnce(undefined as never);
    await expect(attempt()).resolves.toEqual({ kind: 'failed', error: 'No handler for sleep' });
    expect(store.fail).toHaveBeenCalledWith(J1, 1, "No handler for job type 'sleep' in this worker");
  });

  it('records the result and the saved artifact on success', async () => {
    run.mockImplementation(async (payload, context) => {
      context.log('working');
      await context.saveArtifact({ data: Buffer.from('abc'), filename: 'out.csv', contentType: 'text/csv' });
      return { echoed: payload };
    });
    await expect(attempt()).resolves.toEqual({ kind: 'done' });
    expect(registry.instantiate).toHaveBeenCalledWith('sleep', { delayMs: 1 });
    expect(run.mock.calls[0][1]).toMatchObject({ jobId: J1, userId: 'u1', attempt: 1 });
    expect(logs.append).toHaveBeenCalledWith(J1, 'info', 'working');
    expect(store.succeed).toHaveBeenCalledWith(
      J1,
      1,
      { echoed: { delayMs: 1 } },
      { path: `${J1}/out.csv`, contentType: 'text/csv', bytes: 3, quotaBytes: 10_000 },
    );
    expect(run.mock.calls[0][1].maxArtifactBytes).toBe(4096);
    expect(logs.flush.mock.invocationCallOrder[0]).toBeLessThan(store.succeed.mock.invocationCallOrder[0]);
    expect(store.fail).not.toHaveBeenCalled();
    expect(artifacts.remove).not.toHaveBeenCalled();
  });

  it('fails for good, and removes the file, when its owner has no room to keep it', async () => {
    run.mockImplementation(async (_payload, context) => {
      await context.saveArtifact({ data: Buffer.from('abc'), filename: 'out.csv', contentType: 'text/csv' });
      return {};
    });
    store.succeed.mockRejectedValueOnce(new StorageQuotaExceededError(3, 9_999, 10_000));
    const outcome = await attempt(0, 4);
    expect(outcome).toEqual({ kind: 'failed', error: expect.stringMatching(/^Storage quota exceeded/) });
    expect(store.scheduleRetry).not.toHaveBeenCalled();
    expect(store.fail).toHaveBeenCalledWith(
      J1,
      1,
      expect.stringContaining('you use 0 of 0 MB (9999 of 10000 bytes)'),
    );
    expect(artifacts.remove).toHaveBeenCalledWith(J1);
    expect(artifacts.remove.mock.invocationCallOrder[0]).toBeLessThan(store.fail.mock.invocationCallOrder[0]);
  });

  it('removes the file of an attempt that fails after saving it', async () => {
    run.mockImplementation(async (_payload, context) => {
      await context.saveArtifact({ data: Buffer.from('abc'), filename: 'out.csv', contentType: 'text/csv' });
      throw new Error('boom after the file');
    });
    await expect(attempt(0, 4)).resolves.toMatchObject({ kind: 'retry' });
    expect(artifacts.remove).toHaveBeenCalledWith(J1);
  });

  it.each([1, 2, 3])(
    'after failed attempt %i with retries left, schedules a retry in 2^n s and returns its delay',
    async (n) => {
      run.mockRejectedValue(new Error('boom'));
      store.start.mockResolvedValue({ ...row, attempts: n });
      const outcome = await attempt(n - 1, 4);
      expect(outcome).toMatchObject({ kind: 'retry', error: 'boom' });
      const [id, attemptNo, message, delayMs] = store.scheduleRetry.mock.calls[0] as [
        string,
        number,
        string,
        number,
      ];
      expect([id, attemptNo, message]).toEqual([J1, n, 'boom']);
      expect(delayMs).toBeGreaterThanOrEqual(2 ** n * 1000);
      expect(delayMs).toBeLessThanOrEqual(2 ** n * 1000 + 999);
      // The delay recorded as nextRetryAt is the one the queue entry waits (RunJobProcessor passes it on).
      expect((outcome as Extract<RunJobAttemptOutcome, { kind: 'retry' }>).delayMs).toBe(delayMs);
      expect(store.fail).not.toHaveBeenCalled();
    },
  );

  it('fails the job for good on the last attempt', async () => {
    run.mockRejectedValue(new Error('boom'));
    store.start.mockResolvedValue({ ...row, attempts: 4 });
    await expect(attempt(3, 4)).resolves.toEqual({ kind: 'failed', error: 'boom' });
    expect(store.fail).toHaveBeenCalledWith(J1, 4, 'boom');
    expect(store.scheduleRetry).not.toHaveBeenCalled();
  });

  it('does not retry a refused private target', async () => {
    run.mockRejectedValue(new PrivateTargetError('127.0.0.1', '127.0.0.1'));
    await expect(attempt(0, 4)).resolves.toMatchObject({ kind: 'failed' });
    expect(store.fail).toHaveBeenCalledWith(J1, 1, expect.stringContaining('Refused to connect'));
    expect(store.scheduleRetry).not.toHaveBeenCalled();
  });

  it('fails a permanent error at once, with retries left', async () => {
    run.mockRejectedValue(new PermanentJobError('Job exceeded its memory limit of 256 MB'));
    await expect(attempt(0, 4)).resolves.toEqual({
      kind: 'failed',
      error: 'Job exceeded its memory limit of 256 MB',
    });
    expect(store.fail).toHaveBeenCalledWith(J1, 1, 'Job exceeded its memory limit of 256 MB');
    expect(store.scheduleRetry).not.toHaveBeenCalled();
  });

  it('times out a handler that never settles and aborts its signal', async () => {
    store.start.mockResolvedValue({ ...row, timeoutMs: 20 });
    const started = handlerStarted();
    const outcome = await attempt(0, 1);
    const { signal } = await started;
    expect(outcome).toEqual({ kind: 'failed', error: 'Job timed out after 20 ms' });
    expect(store.fail).toHaveBeenCalledWith(J1, 1, 'Job timed out after 20 ms');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(JobTimeoutError);
  });

  it('retries a timed-out attempt when retries are left', async () => {
    store.start.mockResolvedValue({ ...row, timeoutMs: 20 });
    void handlerStarted();
    await expect(attempt(0, 2)).resolves.toMatchObject({
      kind: 'retry',
      error: 'Job timed out after 20 ms',
    });
    expect(store.scheduleRetry).toHaveBeenCalledWith(J1, 1, 'Job timed out after 20 ms', expect.any(Number));
  });

  it('stops quietly on cancel: a log line, no success or failure recorded', async () => {
    const started = handlerStarted();
    const running = attempt();
    const { signal } = await started;
    cancellation.abortLocal(J1);
    await expect(running).resolves.toEqual({ kind: 'cancelled' });
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
    await attempt();
    expect(store.progress.mock.calls).toEqual([
      [J1, 1, 50],
      [J1, 1, 100],
      [J1, 1, 99],
      [J1, 1, 0],
    ]);
  });

  it('a progress write that fails does not fail the job', async () => {
    store.progress.mockRejectedValue(new Error('db down'));
    run.mockImplementation((_payload, context) => {
      context.progress(10);
      return Promise.resolve('ok');
    });
    await expect(attempt()).resolves.toEqual({ kind: 'done' });
    expect(store.succeed).toHaveBeenCalledWith(J1, 1, 'ok', undefined);
  });
});
