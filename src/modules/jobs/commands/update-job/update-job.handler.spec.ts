import { fake } from '@app/testing/fake';
import type { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';
import { JobEntity } from '../../entities/job.entity';
import type { JobCache } from '../../job-cache';
import type { JobStore } from '../../job-store';
import { RUN_JOB, runJobOptions } from '../../jobs.queue';
import { UpdateJobCommand } from './update-job.command';
import { UpdateJobHandler } from './update-job.handler';

describe(UpdateJobHandler.name, () => {
  const at = new Date('2030-01-01T00:00:00Z');
  const tx = { findOne: jest.fn() };
  const db = { transaction: jest.fn((work: (manager: typeof tx) => Promise<unknown>) => work(tx)) };
  const queued = {
    isActive: jest.fn(),
    isDelayed: jest.fn(),
    remove: jest.fn(),
    changePriority: jest.fn(),
    changeDelay: jest.fn(),
    attemptsMade: 0,
    opts: { attempts: 4 },
  };
  const queue = { getJob: jest.fn(), add: jest.fn() };
  const store = { update: jest.fn() };
  const cache = { invalidate: jest.fn() };
  const sut = new UpdateJobHandler(
    fake<DataSource>(db),
    fake<Queue>(queue),
    fake<JobStore>(store),
    fake<JobCache>(cache),
  );
  const pending = {
    id: 'j1',
    status: 'PENDING',
    priority: 'normal',
    maxRetries: 3,
    runAt: null,
    createdAt: at,
    updatedAt: at,
  };

  beforeEach(() => {
    jest.clearAllMocks();
    tx.findOne.mockResolvedValue(pending);
    queue.getJob.mockResolvedValue(queued);
    queued.isActive.mockResolvedValue(false);
    queued.isDelayed.mockResolvedValue(false);
  });

  it('refuses a request that changes nothing', async () => {
    await expect(sut.execute(new UpdateJobCommand('u1', 'j1', {}))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      status: 400,
    });
    expect(db.transaction).not.toHaveBeenCalled();
  });

  it('answers JOB_NOT_FOUND for no job of the user', async () => {
    tx.findOne.mockResolvedValue(null);
    await expect(sut.execute(new UpdateJobCommand('u1', 'j1', { priority: 'high' }))).rejects.toMatchObject({
      code: 'JOB_NOT_FOUND',
    });
    expect(tx.findOne).toHaveBeenCalledWith(JobEntity, {
      where: { id: 'j1', userId: 'u1' },
      lock: { mode: 'pessimistic_write' },
    });
  });

  it('refuses a job that is not PENDING', async () => {
    tx.findOne.mockResolvedValue({ ...pending, status: 'PROCESSING' });
    await expect(sut.execute(new UpdateJobCommand('u1', 'j1', { priority: 'high' }))).rejects.toMatchObject({
      code: 'INVALID_OPERATION',
      status: 400,
      message: 'Cannot change job with status PROCESSING. Only PENDING jobs can be changed.',
    });
    expect(store.update).not.toHaveBeenCalled();
  });

  it('refuses a job a worker has just taken', async () => {
    queued.isActive.mockResolvedValue(true);
    await expect(sut.execute(new UpdateJobCommand('u1', 'j1', { priority: 'high' }))).rejects.toMatchObject({
      code: 'INVALID_OPERATION',
      status: 400,
    });
    expect(store.update).not.toHaveBeenCalled();
    expect(queued.remove).not.toHaveBeenCalled();
    expect(cache.invalidate).not.toHaveBeenCalled();
  });

  it('updates the row in the transaction and changes a delayed queue entry in place', async () => {
    const runAt = new Date(Date.now() + 60_000).toISOString();
    const updated = { ...pending, priority: 'high', runAt: new Date(runAt) };
    store.update.mockResolvedValue(updated);
    queued.isDelayed.mockResolvedValue(true);
    const view = await sut.execute(new UpdateJobCommand('u1', 'j1', { priority: 'high', runAt }));
    expect(store.update).toHaveBeenCalledWith(
      'j1',
      expect.objectContaining({ where: `status = 'PENDING'`, params: ['high', new Date(runAt)] }),
      tx,
    );
    expect(queued.changePriority).toHaveBeenCalledWith({ priority: 1 });
    const [delay] = queued.changeDelay.mock.calls[0] as [number];
    expect(Math.abs(delay - (Date.parse(runAt) - Date.now()))).toBeLessThan(1000);
    expect(queued.remove).not.toHaveBeenCalled();
    expect(queue.add).not.toHaveBeenCalled();
    expect(cache.invalidate).toHaveBeenCalledWith('j1');
    expect(view).toMatchObject({ id: 'j1', priority: 'high', runAt });
  });

  it('re-adds a waiting entry that must start later, with the attempts it has left', async () => {
    const runAt = new Date(Date.now() + 60_000).toISOString();
    const updated = { ...pending, runAt: new Date(runAt) };
    store.update.mockResolvedValue(updated);
    queue.getJob.mockResolvedValue({ ...queued, attemptsMade: 1 });
    await sut.execute(new UpdateJobCommand('u1', 'j1', { runAt }));
    expect(queued.remove).toHaveBeenCalled();
    expect(queue.add).toHaveBeenCalledWith(
      RUN_JOB,
      { jobId: 'j1' },
      { ...runJobOptions(updated as JobEntity), delay: expect.any(Number), attempts: 3 },
    );
  });

  it('changes only what is given, also when the queue entry is gone', async () => {
    queue.getJob.mockResolvedValue(undefined);
    store.update.mockResolvedValue({ ...pending, priority: 'low' });
    await sut.execute(new UpdateJobCommand('u1', 'j1', { priority: 'low' }));
    expect(store.update.mock.calls[0][1]).toMatchObject({ params: ['low', null] }); // runAt kept (COALESCE)
    expect(queue.add).toHaveBeenCalled();
  });

  // A job waiting for its retry is PENDING and sits in BullMQ as a delayed entry that has counted its attempts.
  it('keeps the retry budget and backoff of a job waiting for a retry', async () => {
    const nextRetryAt = new Date(Date.now() + 8000);
    const waiting = { ...pending, attempts: 2, maxRetries: 3, nextRetryAt };
    tx.findOne.mockResolvedValue(waiting);
    queue.getJob.mockResolvedValue({
      ...queued,
      attemptsMade: 2,
      changePriority: jest.fn(),
      changeDelay: jest.fn(),
    });
    store.update.mockResolvedValue({ ...waiting, priority: 'high' });
    await sut.execute(new UpdateJobCommand('u1', 'j1', { priority: 'high' }));
    const replacement = queue.add.mock.calls[0]?.[2] as { attempts: number; delay: number } | undefined;
    if (replacement) {
      // 1 + maxRetries runs in all: 2 are used, so at most 2 more, and not before nextRetryAt.
      expect(replacement.attempts).toBeLessThanOrEqual(2);
      expect(replacement.delay).toBeGreaterThan(7000);
    } else {
      expect(queued.remove).not.toHaveBeenCalled();
    }
  });
});
