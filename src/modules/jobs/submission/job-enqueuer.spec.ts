import { Logger } from '@nestjs/common';
import type { EventBus } from '@nestjs/cqrs';
import { fake } from '@app/testing/fake';
import type { Queue } from 'bullmq';
import { DataSource, In } from 'typeorm';
import { JobEntity } from '../entities/job.entity';
import { JobSubmittedEvent } from '../events/job-submitted.event';
import { RUN_JOB, runJobOptions } from '../jobs.queue';
import type { JobDraft } from './job-drafts';
import { JobEnqueuer } from './job-enqueuer';

describe(JobEnqueuer.name, () => {
  const at = new Date('2030-01-01T00:00:00Z');
  let seq = 0;
  // Like TypeORM's insert(): one statement, generated columns written back into the entities.
  const repository = {
    create: jest.fn((draft: JobDraft) => ({ ...draft })),
    insert: jest.fn((rows: (JobDraft & Partial<JobEntity>)[]) => {
      for (const row of rows) Object.assign(row, { id: `j${++seq}`, createdAt: at, updatedAt: at });
      return Promise.resolve({});
    }),
    delete: jest.fn(),
  };
  const db = { getRepository: jest.fn(() => repository) };
  const queue = { add: jest.fn(), addBulk: jest.fn() };
  const events = { publish: jest.fn() };
  const sut = new JobEnqueuer(fake<DataSource>(db), fake<Queue>(queue), fake<EventBus>(events));
  const draft = (type = 'sleep'): JobDraft => ({
    userId: 'u1',
    type,
    priority: 'normal',
    payload: {},
    maxRetries: 3,
    timeoutMs: 30_000,
    webhookUrl: null,
    runAt: null,
    idempotencyKey: null,
    requestHash: null,
  });
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
  const published = () => events.publish.mock.calls.map(([e]) => e as JobSubmittedEvent);

  beforeEach(() => {
    jest.clearAllMocks();
    seq = 0;
    repository.delete.mockResolvedValue({ affected: 1 });
  });

  it('inserts in one statement and queues a single job with add under its id', async () => {
    const [job] = await sut.submit([draft()], 'api');
    expect(repository.create).toHaveBeenCalledWith(draft());
    expect(repository.insert).toHaveBeenCalledTimes(1);
    expect(job).toMatchObject({ id: 'j1', type: 'sleep' });
    expect(queue.add).toHaveBeenCalledWith(RUN_JOB, { jobId: 'j1' }, runJobOptions(job));
    expect(queue.addBulk).not.toHaveBeenCalled();
    expect(published()).toEqual([expect.any(JobSubmittedEvent)]);
    expect(published()[0]).toMatchObject({ via: 'api', job: { id: 'j1', createdAt: at.toISOString() } });
    expect(events.publish.mock.invocationCallOrder[0]).toBeGreaterThan(queue.add.mock.invocationCallOrder[0]);
  });

  it('queues many jobs with one addBulk and publishes one event each', async () => {
    const jobs = await sut.submit([draft('a'), draft('b')], 'batch');
    expect(repository.insert).toHaveBeenCalledTimes(1);
    expect(queue.add).not.toHaveBeenCalled();
    expect(queue.addBulk).toHaveBeenCalledWith(
      jobs.map((job) => ({ name: RUN_JOB, data: { jobId: job.id }, opts: runJobOptions(job) })),
    );
    expect(published().map((e) => [e.job.id, e.via])).toEqual([
      ['j1', 'batch'],
      ['j2', 'batch'],
    ]);
  });

  it('deletes the rows and answers 503 when the queue is unreachable', async () => {
    queue.addBulk.mockRejectedValueOnce(refused);
    await expect(sut.submit([draft(), draft()], 'batch')).rejects.toMatchObject({
      name: 'AppError',
      code: 'SERVICE_UNAVAILABLE',
      status: 503,
    });
    expect(db.getRepository).toHaveBeenCalledWith(JobEntity);
    expect(repository.delete).toHaveBeenCalledWith({ id: In(['j1', 'j2']) });
    expect(events.publish).not.toHaveBeenCalled();
  });

  it('still answers 503 (and logs) when the delete fails too', async () => {
    const log = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    queue.add.mockRejectedValueOnce(refused);
    repository.delete.mockRejectedValueOnce(new Error('db down'));
    await expect(sut.submit([draft()], 'api')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(log).toHaveBeenCalledTimes(1);
    expect(events.publish).not.toHaveBeenCalled();
    log.mockRestore();
  });

  it('rethrows other queue errors after the cleanup', async () => {
    const bug = new Error('bad options');
    queue.add.mockRejectedValueOnce(bug);
    await expect(sut.submit([draft()], 'api')).rejects.toBe(bug);
    expect(repository.delete).toHaveBeenCalledWith({ id: In(['j1']) });
  });
});
