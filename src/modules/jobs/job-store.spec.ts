import { Logger } from '@nestjs/common';
import type { EventBus } from '@nestjs/cqrs';
import { fake } from '@app/testing/fake';
import type { EntityManager, Repository } from 'typeorm';
import { JobEntity } from './entities/job.entity';
import { JobStartedEvent } from './events/job-started.event';
import type { JobCache } from './job-cache';
import { JobStore } from './job-store';

describe(JobStore.name, () => {
  const at = new Date('2030-01-01T00:00:00Z');
  // PostgreSQL as the pg pool under TypeORM sees it: named statements in, rows out.
  const query = jest.fn();
  const pool = {
    query: jest.fn(({ text, values }: { text: string; values: unknown[] }) =>
      Promise.resolve({ rows: query(text, values) as unknown }),
    ),
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
    manager: { connection: { driver: { master: pool } } },
  };
  const cache = { invalidate: jest.fn(() => Promise.resolve()) };
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
    query.mockReturnValue([]);
    await expect(sut.cancel('j1', 'u1')).resolves.toBeUndefined();
    const [sql, params] = query.mock.calls[0] as [string, unknown[]];
    expect(sql).toContain(
      `WHERE id = $1 AND user_id = $2 AND status IN ('PENDING', 'PROCESSING') RETURNING *`,
    );
    expect(params).toEqual(['j1', 'u1']);
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
    query.mockReturnValue([]);
    await transition();
    expect(query).toHaveBeenCalledTimes(1);
    expect(cache.invalidate).not.toHaveBeenCalled();
    expect(events.publish).not.toHaveBeenCalled();
  });

  it('writes the log lines of a change in the same statement, in order, and none for progress', async () => {
    query.mockReturnValue([]);
    await sut.fail('j1', 2, 'boom');
    const [sql, params] = query.mock.calls[0] as [string, unknown[]];
    expect(sql).toMatch(/^WITH changed AS \(\s*UPDATE jobs SET .*\), logged AS \(\s*INSERT INTO job_logs/s);
    expect(sql).toContain(
      `(0, 'error', format('Attempt %s of %s failed: %s', attempts, max_retries + 1, error))`,
    );
    expect(sql).toContain(`(1, 'error', format('Job failed after %s attempt(s) (status FAILED)', attempts))`);
    expect(sql).toContain('ORDER BY line.n');
    expect(params).toEqual(['j1', 'boom', 2]); // the message travels as a parameter, never inside the SQL
    query.mockClear();
    await sut.progress('j1', 2, 50);
    expect(query.mock.calls[0][0]).not.toContain('job_logs');
  });

  it('starts the jobs that arrive while a start is in flight with one statement, each with its own outcome', async () => {
    query.mockImplementation((_text: string, [ids]: [string[]]) =>
      ids.filter((id) => id !== 'j3').map((id) => ({ ...row, id })),
    );
    const started = await Promise.all(['j1', 'j4', 'j3', 'j2'].map((id) => sut.start(id)));
    expect(started.map((job) => job?.id)).toEqual(['j1', 'j4', undefined, 'j2']);
    // In id order, so batches sharing rows lock them in the same order.
    expect(query.mock.calls.map(([, [ids]]) => ids as string[])).toEqual([['j1'], ['j2', 'j3', 'j4']]);
    expect(query.mock.calls[1][0]).toContain('FROM unnest($1::uuid[]) AS p(id)');
    expect(cache.invalidate.mock.calls).toEqual([['j1'], ['j4'], ['j2']]);
    expect(events.publish).toHaveBeenCalledTimes(3);
    query.mockReset();
  });

  it('sends the outcomes of a batch of successes as arrays, results as JSON text', async () => {
    query.mockReturnValue([]);
    await Promise.all([
      sut.succeed('j1', 1, { sleptMs: 0 }),
      sut.succeed('j2', 3, undefined, { path: 'j2/report.pdf', contentType: 'application/pdf' }),
    ]);
    expect(query.mock.calls[1][1]).toEqual([['j2'], [3], [null], ['j2/report.pdf'], ['application/pdf']]);
    expect(query.mock.calls[0][1]).toEqual([['j1'], [1], ['{"sleptMs":0}'], [null], [null]]);
  });

  it('invalidates the cache, then publishes, when it applies', async () => {
    query.mockReturnValue([row]);
    const job = await sut.start('j1');
    expect(job).toMatchObject({ id: 'j1', userId: 'u1', attempts: 2 });
    expect(cache.invalidate).toHaveBeenCalledWith('j1');
    expect(events.publish).toHaveBeenCalledWith(expect.any(JobStartedEvent));
    expect(cache.invalidate.mock.invocationCallOrder[0]).toBeLessThan(
      events.publish.mock.invocationCallOrder[0],
    );
    expect(events.publish.mock.calls[0][0]).toMatchObject({ job: { id: 'j1', createdAt: at.toISOString() } });
  });

  it('still publishes, and retries the invalidation later, when Redis refuses it', async () => {
    jest.useFakeTimers();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    query.mockReturnValue([row]);
    cache.invalidate.mockRejectedValueOnce(new Error('Connection is closed.'));
    await sut.start('j1');
    expect(events.publish).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1000);
    expect(cache.invalidate).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    jest.useRealTimers();
  });

  it("leaves the invalidation to the caller inside the caller's transaction", async () => {
    const tx = { query: jest.fn(() => Promise.resolve([row])) };
    await sut.update(
      'j1',
      { where: `status = 'PENDING'`, set: `priority = $2`, params: ['high'] },
      fake<EntityManager>(tx),
    );
    expect(tx.query).toHaveBeenCalledWith(expect.stringContaining('SET priority = $2, updated_at = now()'), [
      'j1',
      'high',
    ]);
    expect(query).not.toHaveBeenCalled();
    expect(cache.invalidate).not.toHaveBeenCalled();
  });
});
