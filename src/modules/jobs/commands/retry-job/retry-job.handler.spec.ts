import { fake } from '@app/testing/fake';
import type { Repository } from 'typeorm';
import type { JobEntity } from '../../entities/job.entity';
import type { JobQueue } from '../../job-queue';
import type { JobStore } from '../../job-store';
import { RetryJobCommand } from './retry-job.command';
import { RetryJobHandler } from './retry-job.handler';

type Requeue = (job: JobEntity) => Promise<unknown>;

describe(RetryJobHandler.name, () => {
  const at = new Date('2030-01-01T00:00:00Z');
  const jobs = { findOneBy: jest.fn() };
  const store = { retry: jest.fn() };
  const queue = { requeue: jest.fn() };
  const sut = new RetryJobHandler(
    fake<Repository<JobEntity>>(jobs),
    fake<JobStore>(store),
    fake<JobQueue>(queue),
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
  // JobStore.retry as it behaves when the row changed: the reset row to `requeue`, then the row.
  const resets = async (_id: string, _userId: string | null, _via: string, requeue: Requeue) => {
    await requeue(reset as JobEntity);
    return reset;
  };

  beforeEach(() => {
    jest.resetAllMocks();
    queue.requeue.mockResolvedValue(true);
  });

  it("resets the owner's FAILED or CANCELLED job and queues it again with its whole budget", async () => {
    store.retry.mockImplementation(resets);
    expect(await sut.execute(new RetryJobCommand('u1', 'j1'))).toMatchObject({
      id: 'j1',
      status: 'PENDING',
      createdAt: at.toISOString(),
    });
    expect(store.retry).toHaveBeenCalledWith('j1', 'u1', 'retry', expect.any(Function));
    expect(queue.requeue).toHaveBeenCalledWith(reset, 3); // 1 + maxRetries
    expect(jobs.findOneBy).not.toHaveBeenCalled();
  });

  it("lets an admin replay anyone's job", async () => {
    store.retry.mockImplementation(resets);
    await sut.execute(new RetryJobCommand(null, 'j1', 'replay'));
    expect(store.retry).toHaveBeenCalledWith('j1', null, 'replay', expect.any(Function));
    expect(queue.requeue).toHaveBeenCalledWith(reset, 3);
  });

  it('answers the reset job without waiting when an old attempt still holds the queue entry', async () => {
    store.retry.mockImplementation(resets);
    queue.requeue.mockResolvedValue(false); // its worker queues the job once it lets go
    expect(await sut.execute(new RetryJobCommand('u1', 'j1'))).toMatchObject({ id: 'j1', status: 'PENDING' });
    expect(queue.requeue).toHaveBeenCalledTimes(1);
  });

  it('answers the retry it made when Redis refuses the queue entry (the reconciler queues it later)', async () => {
    store.retry.mockImplementation(resets);
    queue.requeue.mockRejectedValue(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    );
    expect(await sut.execute(new RetryJobCommand('u1', 'j1'))).toMatchObject({ id: 'j1', status: 'PENDING' });
  });

  it('answers JOB_NOT_FOUND for no such job', async () => {
    store.retry.mockResolvedValue(undefined);
    jobs.findOneBy.mockResolvedValue(null);
    await expect(sut.execute(new RetryJobCommand('u1', 'j1'))).rejects.toMatchObject({
      code: 'JOB_NOT_FOUND',
    });
    expect(jobs.findOneBy).toHaveBeenCalledWith({ id: 'j1', userId: 'u1' });
  });

  it('refuses a job that is not FAILED or CANCELLED', async () => {
    store.retry.mockResolvedValue(undefined);
    jobs.findOneBy.mockResolvedValue({ id: 'j1', status: 'DONE' });
    await expect(sut.execute(new RetryJobCommand(null, 'j1', 'replay'))).rejects.toMatchObject({
      code: 'INVALID_OPERATION',
      message: 'Cannot retry job with status DONE. Only FAILED or CANCELLED jobs can be retried.',
    });
    expect(jobs.findOneBy).toHaveBeenCalledWith({ id: 'j1' });
    expect(queue.requeue).not.toHaveBeenCalled();
  });
});
