import { fake } from '@app/testing/fake';
import type { Repository } from 'typeorm';
import type { JobEntity } from '../../entities/job.entity';
import type { JobCancellation } from '../../job-cancellation';
import type { JobQueue } from '../../job-queue';
import type { JobStore } from '../../job-store';
import { CancelJobCommand } from './cancel-job.command';
import { CancelJobHandler } from './cancel-job.handler';

describe(CancelJobHandler.name, () => {
  const at = new Date('2030-01-01T00:00:00Z');
  const jobs = { findOneBy: jest.fn() };
  const store = { cancel: jest.fn() };
  const queue = { remove: jest.fn() };
  const cancellation = { publish: jest.fn() };
  const sut = new CancelJobHandler(
    fake<Repository<JobEntity>>(jobs),
    fake<JobStore>(store),
    fake<JobQueue>(queue),
    fake<JobCancellation>(cancellation),
  );
  const command = new CancelJobCommand('u1', 'j1');

  beforeEach(() => {
    jest.resetAllMocks();
    queue.remove.mockResolvedValue(undefined);
    cancellation.publish.mockResolvedValue(1);
  });

  const cancelledRow = { id: 'j1', status: 'CANCELLED', createdAt: at, updatedAt: at, finishedAt: at };

  it('answers JOB_NOT_FOUND for no job of the user', async () => {
    store.cancel.mockResolvedValue(undefined);
    jobs.findOneBy.mockResolvedValue(null);
    await expect(sut.execute(command)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND', status: 404 });
    expect(store.cancel).toHaveBeenCalledWith('j1', 'u1');
    expect(jobs.findOneBy).toHaveBeenCalledWith({ id: 'j1', userId: 'u1' });
  });

  it('refuses a finished job with the contract message', async () => {
    store.cancel.mockResolvedValue(undefined);
    jobs.findOneBy.mockResolvedValue({ id: 'j1', status: 'DONE' });
    await expect(sut.execute(command)).rejects.toMatchObject({
      code: 'INVALID_OPERATION',
      status: 400,
      message: 'Cannot cancel job with status DONE. Only PENDING or PROCESSING jobs can be cancelled.',
    });
    expect(cancellation.publish).not.toHaveBeenCalled();
    expect(queue.remove).not.toHaveBeenCalled();
  });

  it('tells the workers and removes the queue entry', async () => {
    store.cancel.mockResolvedValue({
      id: 'j1',
      status: 'CANCELLED',
      createdAt: at,
      updatedAt: at,
      finishedAt: at,
    });
    expect(await sut.execute(command)).toMatchObject({
      id: 'j1',
      status: 'CANCELLED',
      finishedAt: at.toISOString(),
    });
    expect(cancellation.publish).toHaveBeenCalledWith('j1');
    expect(queue.remove).toHaveBeenCalledWith('j1');
  });

  it('answers the cancel it made when Redis cannot announce it', async () => {
    store.cancel.mockResolvedValue(cancelledRow);
    cancellation.publish.mockRejectedValue(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    );
    expect(await sut.execute(command)).toMatchObject({ id: 'j1', status: 'CANCELLED' });
    expect(queue.remove).toHaveBeenCalledWith('j1');
  });

  it('still fails on an error that is not a lost backend', async () => {
    store.cancel.mockResolvedValue(cancelledRow);
    cancellation.publish.mockRejectedValue(new TypeError('bug'));
    await expect(sut.execute(command)).rejects.toBeInstanceOf(TypeError);
  });
});
