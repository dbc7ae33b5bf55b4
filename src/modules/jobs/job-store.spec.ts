import type { EventBus } from '@nestjs/cqrs';
import { fake } from '@app/testing/fake';
import type { EntityManager, Repository } from 'typeorm';
import { JobEntity } from './entities/job.entity';
import { JobStartedEvent } from './events/job-started.event';
import type { JobCache } from './job-cache';
import { JobStore } from './job-store';

describe(JobStore.name, () => {
  const at = new Date('2030-01-01T00:00:00Z');
  const execute = jest.fn();
  const builder: Record<string, jest.Mock> = {
    update: jest.fn(() => builder),
    set: jest.fn(() => builder),
    where: jest.fn(() => builder),
    returning: jest.fn(() => builder),
    execute,
  };
  const columns = [
    ['id', 'id'],
    ['userId', 'user_id'],
    ['status', 'status'],
    ['attempts', 'attempts'],
    ['maxRetries', 'max_retries'],
    ['nextRetryAt', 'next_retry_at'],
    ['createdAt', 'created_at'],
    ['updatedAt', 'updated_at'],
  ].map(([propertyName, databaseName]) => ({ propertyName, databaseName }));
  const jobs = {
    create: () => new JobEntity(),
    metadata: { columns },
    manager: { createQueryBuilder: jest.fn(() => builder) },
  };
  const cache = { invalidate: jest.fn() };
  const events = { publish: jest.fn() };
  const sut = new JobStore(fake<Repository<JobEntity>>(jobs), fake<JobCache>(cache), fake<EventBus>(events));
  const row = {
    id: 'j1',
    user_id: 'u1',
    status: 'PROCESSING',
    attempts: 2,
    max_retries: 3,
    next_retry_at: null,
    created_at: at,
    updated_at: at,
  };

  beforeEach(() => jest.clearAllMocks());

  it('maps a snake_case row onto the entity by the column metadata', () => {
    const job = sut.fromRow({ ...row, unknown_column: 'x' });
    expect(job).toBeInstanceOf(JobEntity);
    expect({ ...job }).toEqual({
      id: 'j1',
      userId: 'u1',
      status: 'PROCESSING',
      attempts: 2,
      maxRetries: 3,
      nextRetryAt: null,
      createdAt: at,
      updatedAt: at,
    });
  });

  it('publishes nothing and keeps the cache when the transition applies to no row', async () => {
    execute.mockResolvedValue({ raw: [] });
    await expect(sut.cancel('j1', 'u1')).resolves.toBeUndefined();
    expect(builder.update).toHaveBeenCalledWith(JobEntity);
    expect(builder.where).toHaveBeenCalledWith(
      `id = :id AND user_id = :userId AND status IN ('PENDING', 'PROCESSING')`,
      {
        id: 'j1',
        userId: 'u1',
      },
    );
    expect(builder.returning).toHaveBeenCalledWith('*');
    expect(cache.invalidate).not.toHaveBeenCalled();
    expect(events.publish).not.toHaveBeenCalled();
  });

  it.each([
    ['start', () => sut.start('j1')],
    ['progress', () => sut.progress('j1', 2, 50)],
    ['succeed', () => sut.succeed('j1', 2, { ok: true })],
    ['scheduleRetry', () => sut.scheduleRetry('j1', 2, 'boom', 2000)],
    ['fail', () => sut.fail('j1', 2, 'boom')],
  ])('%s of a job that moved on changes nothing visible', async (_name, transition) => {
    execute.mockResolvedValue({ raw: [] });
    await transition();
    expect(execute).toHaveBeenCalledTimes(1);
    expect(cache.invalidate).not.toHaveBeenCalled();
    expect(events.publish).not.toHaveBeenCalled();
  });

  it('invalidates the cache, then publishes, when it applies', async () => {
    execute.mockResolvedValue({ raw: [row] });
    const job = await sut.start('j1');
    expect(job).toMatchObject({ id: 'j1', userId: 'u1', attempts: 2 });
    expect(cache.invalidate).toHaveBeenCalledWith('j1');
    expect(events.publish).toHaveBeenCalledWith(expect.any(JobStartedEvent));
    expect(cache.invalidate.mock.invocationCallOrder[0]).toBeLessThan(
      events.publish.mock.invocationCallOrder[0],
    );
    expect(events.publish.mock.calls[0][0]).toMatchObject({ job: { id: 'j1', createdAt: at.toISOString() } });
  });

  it("leaves the invalidation to the caller inside the caller's transaction", async () => {
    execute.mockResolvedValue({ raw: [row] });
    const tx = { createQueryBuilder: jest.fn(() => builder) };
    await sut.update('j1', `status = 'PENDING'`, {}, { priority: 'high' }, {}, fake<EntityManager>(tx));
    expect(tx.createQueryBuilder).toHaveBeenCalled();
    expect(jobs.manager.createQueryBuilder).not.toHaveBeenCalled();
    expect(cache.invalidate).not.toHaveBeenCalled();
  });
});
