import { fake } from '@app/testing/fake';
import type { Repository } from 'typeorm';
import type { JobEntity } from '../../entities/job.entity';
import type { JobQueue } from '../../job-queue';
import type { JobStore } from '../../job-store';
import { UpdateJobCommand } from './update-job.command';
import { UpdateJobHandler } from './update-job.handler';

type MoveEntry = (job: JobEntity) => Promise<void>;

describe(UpdateJobHandler.name, () => {
  const at = new Date('2030-01-01T00:00:00Z');
  const jobs = { findOneBy: jest.fn() };
  const store = { reschedule: jest.fn() };
  const queue = { reschedule: jest.fn() };
  const sut = new UpdateJobHandler(
    fake<Repository<JobEntity>>(jobs),
    fake<JobStore>(store),
    fake<JobQueue>(queue),
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
  // JobStore.reschedule as it behaves when the row changed: `moveEntry` with the changed row (its error
  // rolls the change back and is passed on), then the row.
  const changes = (changed: object) => async (_id: string, _u: string, _c: object, moveEntry: MoveEntry) => {
    await moveEntry(changed as JobEntity);
    return changed;
  };

  beforeEach(() => {
    jest.resetAllMocks();
    queue.reschedule.mockResolvedValue(true);
  });

  it('refuses a request that changes nothing', async () => {
    await expect(sut.execute(new UpdateJobCommand('u1', 'j1', {}))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      status: 400,
    });
    expect(store.reschedule).not.toHaveBeenCalled();
  });

  it('answers JOB_NOT_FOUND for no job of the user', async () => {
    store.reschedule.mockResolvedValue(undefined);
    jobs.findOneBy.mockResolvedValue(null);
    await expect(sut.execute(new UpdateJobCommand('u1', 'j1', { priority: 'high' }))).rejects.toMatchObject({
      code: 'JOB_NOT_FOUND',
    });
    expect(jobs.findOneBy).toHaveBeenCalledWith({ id: 'j1', userId: 'u1' });
  });

  it('refuses a job that is not PENDING', async () => {
    store.reschedule.mockResolvedValue(undefined);
    jobs.findOneBy.mockResolvedValue({ ...pending, status: 'PROCESSING' });
    await expect(sut.execute(new UpdateJobCommand('u1', 'j1', { priority: 'high' }))).rejects.toMatchObject({
      code: 'INVALID_OPERATION',
      status: 400,
      message: 'Cannot change job with status PROCESSING. Only PENDING jobs can be changed.',
    });
    expect(queue.reschedule).not.toHaveBeenCalled();
  });

  it('refuses a job a worker has just taken, failing the change so that it rolls back', async () => {
    store.reschedule.mockImplementation(changes({ ...pending, priority: 'high' }));
    queue.reschedule.mockResolvedValue(false);
    await expect(sut.execute(new UpdateJobCommand('u1', 'j1', { priority: 'high' }))).rejects.toMatchObject({
      code: 'INVALID_OPERATION',
      status: 400,
      message: 'Cannot change job: a worker has just started it.',
    });
    expect(jobs.findOneBy).not.toHaveBeenCalled();
  });

  it('changes the row and moves its queue entry with the changed row', async () => {
    const runAt = new Date(Date.now() + 60_000).toISOString();
    const updated = { ...pending, priority: 'high', runAt: new Date(runAt) };
    store.reschedule.mockImplementation(changes(updated));
    const view = await sut.execute(new UpdateJobCommand('u1', 'j1', { priority: 'high', runAt }));
    const wanted = { priority: 'high', runAt: new Date(runAt) };
    expect(store.reschedule).toHaveBeenCalledWith('j1', 'u1', wanted, expect.any(Function));
    expect(queue.reschedule).toHaveBeenCalledWith(updated, wanted);
    expect(view).toMatchObject({ id: 'j1', priority: 'high', runAt });
  });

  it('changes only what is given', async () => {
    store.reschedule.mockImplementation(changes({ ...pending, priority: 'low' }));
    await sut.execute(new UpdateJobCommand('u1', 'j1', { priority: 'low' }));
    expect(store.reschedule.mock.calls[0][2]).toEqual({ priority: 'low', runAt: undefined });
    expect(queue.reschedule.mock.calls[0][1]).toEqual({ priority: 'low', runAt: undefined });
  });
});
