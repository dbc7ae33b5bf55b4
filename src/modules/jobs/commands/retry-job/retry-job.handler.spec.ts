import type { EventBus } from '@nestjs/cqrs';
import { fake } from '@app/testing/fake';
import type { Queue } from 'bullmq';
import type { Repository } from 'typeorm';
import type { JobEntity } from '../../entities/job.entity';
import { JobQueuedEvent } from '../../events/job-queued.event';
import type { JobChange, JobStore } from '../../job-store';
import { RUN_JOB, runJobOptions } from '../../jobs.queue';
import { RetryJobCommand } from './retry-job.command';
import { RetryJobHandler } from './retry-job.handler';

describe(RetryJobHandler.name, () => {
  const at = new Date('2030-01-01T00:00:00Z');
  const jobs = { findOneBy: jest.fn() };
  const old = { isActive: jest.fn(), remove: jest.fn() };
  const queue = { getJob: jest.fn(), add: jest.fn() };
  const store = { update: jest.fn() };
  const events = { publish: jest.fn() };
  const sut = new RetryJobHandler(
    fake<Repository<JobEntity>>(jobs),
    fake<Queue>(queue),
    fake<JobStore>(store),
    fake<EventBus>(events),
  );
  const reset = {
    id: 'j1',
    status: 'PENDING',
    priority: 'low',
    maxRetries: 2,
    attempts: 0,
    runAt: null,
    createdAt: at,
    updatedAt: at,
  };

  beforeEach(() => {
    jest.resetAllMocks();
    queue.getJob.mockResolvedValueOnce(old).mockResolvedValue(undefined);
    old.isActive.mockResolvedValue(false);
    old.remove.mockResolvedValue(undefined);
  });

  it("resets the owner's FAILED or CANCELLED job and queues it again", async () => {
    store.update.mockResolvedValue(reset);
    expect(await sut.execute(new RetryJobCommand('u1', 'j1'))).toMatchObject({ id: 'j1', status: 'PENDING' });
    const [id, change] = store.update.mock.calls[0] as [string, JobChange];
    expect(id).toBe('j1');
    expect(change.where).toBe(`status IN ('FAILED', 'CANCELLED') AND user_id = $3`);
    expect(change.set).toMatch(
      /^status = 'PENDING', attempts = 0, progress = 0, result = NULL, error = NULL/,
    );
    // The log line is written by the same statement; its text travels as a parameter.
    expect(change.params).toEqual(['Job re-queued by its owner (attempts reset)', 'u1']);
    expect(change.log).toEqual([{ level: 'info', message: '$2' }]);
    expect(queue.getJob).toHaveBeenCalledWith('j1');
    expect(queue.add).toHaveBeenCalledWith(RUN_JOB, { jobId: 'j1' }, runJobOptions(reset as JobEntity));
    expect(old.remove.mock.invocationCallOrder[0]).toBeLessThan(queue.add.mock.invocationCallOrder[0]);
    expect(events.publish).toHaveBeenCalledWith(expect.any(JobQueuedEvent));
    expect(events.publish.mock.calls[0][0]).toMatchObject({ via: 'retry', job: { id: 'j1' } });
  });

  it("lets an admin replay anyone's job, and tolerates a queue entry already gone", async () => {
    store.update.mockResolvedValue(reset);
    queue.getJob.mockReset().mockResolvedValue(undefined);
    await sut.execute(new RetryJobCommand(null, 'j1', 'replay'));
    expect(store.update.mock.calls[0][1]).toMatchObject({
      where: `status IN ('FAILED', 'CANCELLED')`,
      params: ['Job replayed by an admin (attempts reset)'],
    });
    expect(queue.add).toHaveBeenCalled();
    expect(events.publish.mock.calls[0][0]).toMatchObject({ via: 'replay' });
  });

  it('waits for an old attempt that is still active before queuing under its id', async () => {
    store.update.mockResolvedValue(reset);
    old.isActive.mockResolvedValueOnce(true).mockResolvedValueOnce(true).mockResolvedValue(false);
    queue.getJob
      .mockReset()
      .mockResolvedValueOnce(old)
      .mockResolvedValueOnce(old)
      .mockResolvedValueOnce(old)
      .mockResolvedValue(undefined);
    await sut.execute(new RetryJobCommand('u1', 'j1'));
    expect(old.isActive).toHaveBeenCalledTimes(3);
    expect(old.remove).toHaveBeenCalledTimes(1);
    expect(old.remove.mock.invocationCallOrder[0]).toBeLessThan(queue.add.mock.invocationCallOrder[0]);
  });

  it('answers JOB_NOT_FOUND for no such job', async () => {
    jobs.findOneBy.mockResolvedValue(null);
    await expect(sut.execute(new RetryJobCommand('u1', 'j1'))).rejects.toMatchObject({
      code: 'JOB_NOT_FOUND',
    });
    expect(jobs.findOneBy).toHaveBeenCalledWith({ id: 'j1', userId: 'u1' });
  });

  it('refuses a job that is not FAILED or CANCELLED', async () => {
    jobs.findOneBy.mockResolvedValue({ id: 'j1', status: 'DONE' });
    await expect(sut.execute(new RetryJobCommand(null, 'j1', 'replay'))).rejects.toMatchObject({
      code: 'INVALID_OPERATION',
      message: 'Cannot retry job with status DONE. Only FAILED or CANCELLED jobs can be retried.',
    });
    expect(jobs.findOneBy).toHaveBeenCalledWith({ id: 'j1' });
    expect(queue.add).not.toHaveBeenCalled();
    expect(events.publish).not.toHaveBeenCalled();
  });
});
