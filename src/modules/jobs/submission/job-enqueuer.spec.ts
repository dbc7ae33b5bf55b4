import { Logger } from '@nestjs/common';
import type { EventBus } from '@nestjs/cqrs';
import { fake } from '@app/testing/fake';
import type { Queue } from 'bullmq';
import { DataSource, In } from 'typeorm';
import { JobEntity } from '../entities/job.entity';
import { JobQueuedEvent } from '../events/job-queued.event';
import type { JobStore } from '../job-store';
import { RUN_JOB, runJobOptions } from '../jobs.queue';
import type { JobDraft } from './job-drafts';
import { JobEnqueuer } from './job-enqueuer';

describe(JobEnqueuer.name, () => {
  const at = new Date('2030-01-01T00:00:00Z');
  // Like the INSERT … RETURNING *: snake_case rows with the defaults, in no promised order.
  const query = jest.fn((_sql: string, [json]: [string, string]) =>
    (JSON.parse(json) as (JobDraft & { id: string })[])
      .map(({ id, type }) => ({ id, type, status: 'PENDING', created_at: at, updated_at: at }))
      .reverse(),
  );
  const pool = {
    query: ({ text, values }: { text: string; values: [string, string] }) =>
      Promise.resolve({ rows: query(text, values) }),
  };
  const db = { driver: { master: pool }, getRepository: jest.fn(() => repository) };
  const repository = { delete: jest.fn() };
  const store = {
    fromRow: (row: Record<string, unknown>) =>
      Object.assign(new JobEntity(), {
        id: row.id,
        type: row.type,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      }),
  };
  const queue = { add: jest.fn(), addBulk: jest.fn() };
  const events = { publish: jest.fn() };
  const sut = new JobEnqueuer(
    fake<DataSource>(db),
    fake<Queue>(queue),
    fake<EventBus>(events),
    fake<JobStore>(store),
  );
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
  const published = () => events.publish.mock.calls.map(([e]) => e as JobQueuedEvent);

  beforeEach(() => {
    jest.clearAllMocks();
    repository.delete.mockResolvedValue({ affected: 1 });
  });

  it('inserts in one statement and queues a single job with add under its id', async () => {
    const [job] = await sut.submit([draft()], 'api');
    expect(query).toHaveBeenCalledTimes(1);
    const [, [rows]] = query.mock.calls[0];
    expect(JSON.parse(rows)).toEqual([
      { ...draft(), id: job.id, line: 'Job created (type %s, priority %s)' },
    ]);
    expect(job).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), type: 'sleep' });
    expect(queue.add).toHaveBeenCalledWith(RUN_JOB, { jobId: job.id }, runJobOptions(job));
    expect(queue.addBulk).not.toHaveBeenCalled();
    expect(published()).toEqual([expect.any(JobQueuedEvent)]);
    expect(published()[0]).toMatchObject({ via: 'api', job: { id: job.id, createdAt: at.toISOString() } });
    expect(events.publish.mock.invocationCallOrder[0]).toBeGreaterThan(queue.add.mock.invocationCallOrder[0]);
  });

  it('queues many jobs with one addBulk, in the order submitted, and publishes one event each', async () => {
    const jobs = await sut.submit([draft('a'), draft('b')], 'batch');
    expect(query).toHaveBeenCalledTimes(1);
    const rows = JSON.parse(query.mock.calls[0][1][0]) as { line: string }[];
    expect(rows.map((row) => row.line)).toEqual(
      Array(2).fill('Job created in a batch (type %s, priority %s)'),
    );
    expect(jobs.map((job) => job.type)).toEqual(['a', 'b']);
    expect(queue.add).not.toHaveBeenCalled();
    expect(queue.addBulk).toHaveBeenCalledWith(
      jobs.map((job) => ({ name: RUN_JOB, data: { jobId: job.id }, opts: runJobOptions(job) })),
    );
    expect(published().map((e) => [e.job.type, e.via])).toEqual([
      ['a', 'batch'],
      ['b', 'batch'],
    ]);
  });

  it('lets submissions that arrive meanwhile share the next INSERT and queue add, each getting its own jobs', async () => {
    const first = sut.submit([draft('a')], 'api');
    const others = [sut.submit([draft('b')], 'api'), sut.submit([draft('c'), draft('d')], 'batch')];
    const keyed = sut.submit([{ ...draft('e'), idempotencyKey: 'k1', requestHash: 'h' }], 'api');
    const [a, b, cd, e] = await Promise.all([first, ...others, keyed]);
    expect([a, b, cd, e].map((jobs) => jobs.map((job) => job.type))).toEqual([
      ['a'],
      ['b'],
      ['c', 'd'],
      ['e'],
    ]);
    // a alone (nothing in flight), the keyed one alone at once, then b, c and d together.
    const statements = query.mock.calls.map(([, [json]]) =>
      (JSON.parse(json) as JobDraft[]).map((r) => r.type),
    );
    expect(statements).toEqual([['a'], ['e'], ['b', 'c', 'd']]);
    expect(queue.addBulk).toHaveBeenCalledTimes(1);
    expect(published().map((event) => [event.job.type, event.via])).toEqual([
      ['e', 'api'],
      ['a', 'api'],
      ['b', 'api'],
      ['c', 'batch'],
      ['d', 'batch'],
    ]);
  });

  it('deletes the rows and answers 503 when the queue is unreachable', async () => {
    queue.addBulk.mockRejectedValueOnce(refused);
    const submitting = sut.submit([draft(), draft()], 'batch');
    await expect(submitting).rejects.toMatchObject({
      name: 'AppError',
      code: 'SERVICE_UNAVAILABLE',
      status: 503,
    });
    expect(db.getRepository).toHaveBeenCalledWith(JobEntity);
    const ids = (JSON.parse(query.mock.calls[0][1][0]) as { id: string }[]).map((row) => row.id);
    expect(repository.delete).toHaveBeenCalledWith({ id: In(ids) });
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
    const [{ id }] = JSON.parse(query.mock.calls[0][1][0]) as { id: string }[];
    expect(repository.delete).toHaveBeenCalledWith({ id: In([id]) });
  });
});
