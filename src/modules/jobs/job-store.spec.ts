import { Logger } from '@nestjs/common';
import type { EventBus } from '@nestjs/cqrs';
import { fake } from '@app/testing/fake';
import { In, type Repository } from 'typeorm';
import { JobEntity } from './entities/job.entity';
import { JobQueuedEvent } from './events/job-queued.event';
import { JobStartedEvent } from './events/job-started.event';
import type { JobCache } from './job-cache';
import { JobStore, type NewJob } from './job-store';

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
  // A transaction as TypeORM runs one: the work on its own manager, committed once the work resolves,
  // rolled back (the rejection passed on) when it throws.
  const tx = { query: jest.fn() };
  const committed = jest.fn();
  const jobs = {
    create: () => new JobEntity(),
    metadata: { columns },
    manager: {
      connection: { driver: { master: pool } },
      transaction: jest.fn(async (work: (manager: typeof tx) => Promise<unknown>) => {
        const result = await work(tx);
        committed();
        return result;
      }),
    },
    query: jest.fn(),
    delete: jest.fn(),
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
    await Promise.all([sut.succeed('j1', 1, { sleptMs: 0 }), sut.succeed('j2', 3, undefined)]);
    expect(query.mock.calls[0][1]).toEqual([['j1'], [1], ['{"sleptMs":0}']]);
    expect(query.mock.calls[1][1]).toEqual([['j2'], [3], [null]]);
  });

  describe('a success that keeps an artifact', () => {
    const artifact = { path: 'j1/report.pdf', contentType: 'application/pdf', bytes: 300, quotaBytes: 1000 };
    const nothingChanged = Object.fromEntries(Object.keys(row).map((key) => [key, null]));
    const answer = (...rows: Record<string, unknown>[]) => {
      for (const one of rows) query.mockReturnValueOnce([one]);
    };

    it("keeps it with its bytes added to its owner's counter row, in one statement and no transaction", async () => {
      answer({ job_locked: true, storage_used_bytes: 400, ...row, status: 'DONE' });
      const job = await sut.succeed('j1', 2, { pages: 1 }, artifact);
      expect(job).toMatchObject({ id: 'j1', status: 'DONE' });
      expect(query).toHaveBeenCalledTimes(1);
      const [sql, params] = query.mock.calls[0] as [string, unknown[]];
      expect(sql).toContain(`WHERE id = $1 AND status = 'PROCESSING' AND attempts = $2 FOR NO KEY UPDATE`);
      expect(sql).toContain('FOR NO KEY UPDATE OF user_storage');
      expect(sql).toContain('counter.used_bytes + $6::bigint <= $7::bigint');
      expect(sql).toContain(
        'used_bytes = user_storage.used_bytes + $6, artifacts = user_storage.artifacts + 1',
      );
      expect(sql).toContain('artifact_bytes = $6');
      expect(sql).not.toContain('sum(');
      expect(sql).not.toContain('pg_advisory');
      expect(params).toEqual(['j1', 2, '{"pages":1}', 'j1/report.pdf', 'application/pdf', 300, 1000]);
      expect(jobs.manager.transaction).not.toHaveBeenCalled();
      expect(events.publish).toHaveBeenCalledTimes(1);
    });

    it("refuses with the counter's numbers when it would take the owner over the quota, changing nothing", async () => {
      answer({ ...nothingChanged, job_locked: true, storage_used_bytes: 701 });
      await expect(sut.succeed('j1', 2, null, artifact)).rejects.toThrow(
        'Storage quota exceeded: this artifact is 0 MB (300 bytes) and you use 0 of 0 MB (701 of 1000 bytes)',
      );
      expect(query).toHaveBeenCalledTimes(1);
      expect(cache.invalidate).not.toHaveBeenCalled();
      expect(events.publish).not.toHaveBeenCalled();
    });

    it('refuses a file over the whole quota of an owner without a counter row, as using nothing', async () => {
      answer({ ...nothingChanged, job_locked: true, storage_used_bytes: null });
      await expect(sut.succeed('j1', 2, null, { ...artifact, bytes: 1001 })).rejects.toThrow(
        '(1001 bytes) and you use 0 of 0 MB (0 of 1000 bytes)',
      );
      expect(query).toHaveBeenCalledTimes(1);
    });

    it('answers undefined when the job moved on', async () => {
      answer({ ...nothingChanged, job_locked: false, storage_used_bytes: 700 });
      await expect(sut.succeed('j1', 2, null, artifact)).resolves.toBeUndefined();
      expect(query).toHaveBeenCalledTimes(1);
      expect(events.publish).not.toHaveBeenCalled();
    });

    it("runs once more when another finish inserted the owner's first counter row meanwhile", async () => {
      answer(
        { ...nothingChanged, job_locked: true, storage_used_bytes: null },
        { job_locked: true, storage_used_bytes: 300, ...row, status: 'DONE' },
      );
      await expect(sut.succeed('j1', 2, null, artifact)).resolves.toMatchObject({ status: 'DONE' });
      expect(query).toHaveBeenCalledTimes(2);
      expect(query.mock.calls[1]).toEqual(query.mock.calls[0]);
    });

    it('gives up after that second run rather than looping', async () => {
      answer(
        { ...nothingChanged, job_locked: true, storage_used_bytes: null },
        { ...nothingChanged, job_locked: true, storage_used_bytes: null },
      );
      await expect(sut.succeed('j1', 2, null, artifact)).rejects.toThrow(
        'Storage counter of the owner of job j1',
      );
      expect(query).toHaveBeenCalledTimes(2);
    });
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

  describe('retry', () => {
    const reset = { ...row, status: 'PENDING', attempts: 0 };

    it("resets the owner's FAILED or CANCELLED job in one statement, requeues it, then publishes", async () => {
      query.mockReturnValue([reset]);
      const requeue = jest.fn((_job: JobEntity) => Promise.resolve(true));
      const job = await sut.retry('j1', 'u1', 'retry', requeue);
      const [sql, params] = query.mock.calls[0] as [string, unknown[]];
      expect(sql).toMatch(/SET status = 'PENDING', attempts = 0, progress = 0, result = NULL, error = NULL/);
      expect(sql).toContain(
        `WHERE id = $1 AND status IN ('FAILED', 'CANCELLED') AND user_id = $3 RETURNING *`,
      );
      // The log line is written by the same statement; its text travels as a parameter.
      expect(sql).toContain(`(0, 'info', $2)`);
      expect(params).toEqual(['j1', 'Job re-queued by its owner (attempts reset)', 'u1']);
      expect(job).toBeInstanceOf(JobEntity);
      expect(job).toMatchObject({ id: 'j1', status: 'PENDING', attempts: 0 });
      expect(requeue).toHaveBeenCalledWith(job);
      expect(cache.invalidate).toHaveBeenCalledWith('j1');
      expect(events.publish).toHaveBeenCalledTimes(1);
      expect(events.publish).toHaveBeenCalledWith(expect.any(JobQueuedEvent));
      expect(events.publish.mock.calls[0][0]).toMatchObject({
        via: 'retry',
        job: { id: 'j1', status: 'PENDING' },
      });
      expect(requeue.mock.invocationCallOrder[0]).toBeLessThan(events.publish.mock.invocationCallOrder[0]);
    });

    it("lets an admin replay anyone's job", async () => {
      query.mockReturnValue([reset]);
      await sut.retry('j1', null, 'replay', () => Promise.resolve(true));
      const [sql, params] = query.mock.calls[0] as [string, unknown[]];
      expect(sql).toContain(`WHERE id = $1 AND status IN ('FAILED', 'CANCELLED') RETURNING *`);
      expect(params).toEqual(['j1', 'Job replayed by an admin (attempts reset)']);
      expect(events.publish.mock.calls[0][0]).toMatchObject({ via: 'replay' });
    });

    it('neither requeues nor publishes when the job is in neither status', async () => {
      query.mockReturnValue([]);
      const requeue = jest.fn();
      await expect(sut.retry('j1', 'u1', 'retry', requeue)).resolves.toBeUndefined();
      expect(requeue).not.toHaveBeenCalled();
      expect(cache.invalidate).not.toHaveBeenCalled();
      expect(events.publish).not.toHaveBeenCalled();
    });

    it('publishes nothing when the requeue fails', async () => {
      query.mockReturnValue([reset]);
      const down = new Error('Connection is closed.');
      await expect(sut.retry('j1', 'u1', 'retry', () => Promise.reject(down))).rejects.toBe(down);
      expect(events.publish).not.toHaveBeenCalled();
    });
  });

  describe('reschedule', () => {
    const runAt = new Date('2030-01-02T00:00:00Z');

    it('changes the row and moves its queue entry in one transaction, invalidating after the commit', async () => {
      tx.query.mockResolvedValue([{ ...row, status: 'PENDING' }]);
      const moveEntry = jest.fn((_job: JobEntity) => Promise.resolve());
      const job = await sut.reschedule('j1', 'u1', { priority: 'high', runAt }, moveEntry);
      expect(jobs.manager.transaction).toHaveBeenCalledTimes(1);
      const [sql, params] = tx.query.mock.calls[0] as [string, unknown[]];
      expect(sql).toContain(
        `SET priority = COALESCE($3, priority), run_at = COALESCE($4::timestamptz, run_at), updated_at = now() ` +
          `WHERE id = $1 AND user_id = $2 AND status = 'PENDING' RETURNING *`,
      );
      expect(params).toEqual(['j1', 'u1', 'high', runAt]);
      expect(query).not.toHaveBeenCalled(); // on the transaction's connection, not the pool
      expect(moveEntry).toHaveBeenCalledWith(job);
      expect(job).toBeInstanceOf(JobEntity);
      expect(job).toMatchObject({ id: 'j1', status: 'PENDING' });
      // The UPDATE holds the row lock while the entry moves; readers see the change only once committed.
      expect(tx.query.mock.invocationCallOrder[0]).toBeLessThan(moveEntry.mock.invocationCallOrder[0]);
      expect(moveEntry.mock.invocationCallOrder[0]).toBeLessThan(committed.mock.invocationCallOrder[0]);
      expect(cache.invalidate).toHaveBeenCalledWith('j1');
      expect(committed.mock.invocationCallOrder[0]).toBeLessThan(
        cache.invalidate.mock.invocationCallOrder[0],
      );
      expect(events.publish).not.toHaveBeenCalled();
    });

    it('keeps what is not given (COALESCE over nulls)', async () => {
      tx.query.mockResolvedValue([{ ...row, status: 'PENDING' }]);
      await sut.reschedule('j1', 'u1', { priority: 'low' }, () => Promise.resolve());
      expect(tx.query.mock.calls[0][1]).toEqual(['j1', 'u1', 'low', null]);
    });

    it('moves nothing and keeps the cache when the job is not PENDING (or not the user’s)', async () => {
      tx.query.mockResolvedValue([]);
      const moveEntry = jest.fn();
      await expect(sut.reschedule('j1', 'u1', { runAt }, moveEntry)).resolves.toBeUndefined();
      expect(moveEntry).not.toHaveBeenCalled();
      expect(cache.invalidate).not.toHaveBeenCalled();
    });

    it('rolls back and passes the error on when the entry cannot move', async () => {
      tx.query.mockResolvedValue([{ ...row, status: 'PENDING' }]);
      const taken = new Error('a worker has just started it');
      await expect(sut.reschedule('j1', 'u1', { runAt }, () => Promise.reject(taken))).rejects.toBe(taken);
      expect(committed).not.toHaveBeenCalled();
      expect(cache.invalidate).not.toHaveBeenCalled();
      expect(events.publish).not.toHaveBeenCalled();
    });
  });

  describe('requeueLost', () => {
    it('puts back to PENDING the attempt whose worker lost it, with a log line, then requeues it', async () => {
      query.mockReturnValue([{ ...row, status: 'PENDING', attempts: 3 }]);
      const requeue = jest.fn((_job: JobEntity) => Promise.resolve(true));
      const job = await sut.requeueLost('j1', 3, requeue);
      const [sql, params] = query.mock.calls[0] as [string, unknown[]];
      expect(sql).toContain(
        `SET status = 'PENDING', updated_at = now() WHERE id = $1 AND status = 'PROCESSING' AND attempts = $2`,
      );
      expect(sql).toContain(`(0, 'warn', 'Repaired by the reconciler: its worker lost the job')`);
      expect(params).toEqual(['j1', 3]);
      expect(requeue).toHaveBeenCalledWith(job);
      expect(job).toMatchObject({ id: 'j1', status: 'PENDING', attempts: 3 });
      expect(cache.invalidate).toHaveBeenCalledWith('j1');
    });

    it('requeues nothing when the job has moved on since', async () => {
      query.mockReturnValue([]);
      const requeue = jest.fn();
      await expect(sut.requeueLost('j1', 3, requeue)).resolves.toBeUndefined();
      expect(requeue).not.toHaveBeenCalled();
    });
  });

  describe('create', () => {
    const draft = (id: string, via: NewJob['via'] = 'api'): NewJob => ({
      id,
      via,
      userId: 'u1',
      type: 'sleep',
      priority: 'normal',
      payload: {},
      maxRetries: 3,
      timeoutMs: 30_000,
      webhookUrl: null,
      runAt: null,
      idempotencyKey: null,
      requestHash: null,
    });
    const drafts = [draft('j2', 'batch'), draft('j1', 'batch'), draft('j3', 'batch')];
    // Like the INSERT … RETURNING *: snake_case rows with the defaults, in no promised order.
    const inserted = (_text: string, [json]: [string]) =>
      (JSON.parse(json) as NewJob[])
        .map(({ id, userId, maxRetries }) => ({
          ...row,
          id,
          user_id: userId,
          status: 'PENDING',
          attempts: 0,
          max_retries: maxRetries,
        }))
        .sort((a, b) => a.id.localeCompare(b.id));
    const published = () => events.publish.mock.calls.map(([event]) => event as JobQueuedEvent);
    let error: jest.SpyInstance;

    beforeEach(() => {
      query.mockImplementation(inserted);
      jobs.delete.mockResolvedValue({ affected: 3 });
      error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    });
    afterEach(() => error.mockRestore());
    afterAll(() => query.mockReset());

    it('inserts the rows, each with its "created" line, as one JSON parameter, then enqueues them in draft order', async () => {
      const enqueue = jest.fn((_jobs: JobEntity[]) => Promise.resolve());
      const jobs = await sut.create(drafts, enqueue);
      expect(query).toHaveBeenCalledTimes(1);
      const [sql, params] = query.mock.calls[0] as [string, [string]];
      expect(params).toHaveLength(1);
      expect(JSON.parse(params[0])).toEqual(drafts);
      expect(sql).toContain('json_to_recordset($1::json)');
      expect(sql).toContain(
        `CASE d.via WHEN 'batch' THEN 'Job created in a batch (type %s, priority %s)' ` +
          `ELSE 'Job created (type %s, priority %s)' END`,
      );
      expect(sql).toContain('INSERT INTO job_logs');
      expect(jobs.map((job) => job.id)).toEqual(['j2', 'j1', 'j3']);
      jobs.forEach((job) => expect(job).toBeInstanceOf(JobEntity));
      expect(enqueue).toHaveBeenCalledWith(jobs);
    });

    it('publishes one JobQueuedEvent per job, in draft order, once they are queued', async () => {
      const enqueue = jest.fn(() => Promise.resolve());
      await sut.create([draft('j2', 'api'), draft('j1', 'api')], enqueue);
      expect(published().map((event) => [event.job.id, event.via])).toEqual([
        ['j2', 'api'],
        ['j1', 'api'],
      ]);
      expect(published()[0]).toMatchObject({ job: { status: 'PENDING', createdAt: at.toISOString() } });
      expect(enqueue.mock.invocationCallOrder[0]).toBeLessThan(events.publish.mock.invocationCallOrder[0]);
    });

    it('deletes the rows again and rethrows when they cannot be queued', async () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
        code: 'ECONNREFUSED',
      });
      await expect(sut.create(drafts, () => Promise.reject(refused))).rejects.toBe(refused);
      expect(jobs.delete).toHaveBeenCalledWith({ id: In(['j2', 'j1', 'j3']) });
      expect(events.publish).not.toHaveBeenCalled();
    });

    it('still rethrows the queue’s error when the delete fails too', async () => {
      const refused = new Error('connect ECONNREFUSED 127.0.0.1:6379');
      jobs.delete.mockRejectedValueOnce(new Error('db down'));
      await expect(sut.create(drafts, () => Promise.reject(refused))).rejects.toBe(refused);
      expect(events.publish).not.toHaveBeenCalled();
    });
  });

  it('clears the outbox flag of one finish only, with the timestamp as a date', async () => {
    query.mockReturnValue([]);
    await sut.markWebhookQueued('j1', '2030-01-01T00:00:00.123Z');
    const [sql, params] = query.mock.calls[0] as [string, unknown[]];
    expect(sql).toContain(`SET webhook_pending = false`);
    expect(sql).toContain(
      `WHERE id = $1 AND webhook_pending AND date_trunc('milliseconds', finished_at) = $2`,
    );
    expect(params).toEqual(['j1', new Date('2030-01-01T00:00:00.123Z')]);
  });

  describe('purgeFinishedBefore', () => {
    const cutoff = new Date('2029-12-01T00:00:00Z');

    it('deletes one small batch of finished jobs, skipping locked rows, and invalidates their cache', async () => {
      jobs.query.mockResolvedValue([{ id: 'j1' }, { id: 'j2' }]);
      expect(await sut.purgeFinishedBefore(cutoff, 500)).toEqual(['j1', 'j2']);
      const [sql, params] = jobs.query.mock.calls[0] as [string, unknown[]];
      expect(sql).toContain(`status IN ('DONE', 'FAILED', 'CANCELLED') AND finished_at < $1`);
      expect(sql).toContain('ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED');
      expect(params).toEqual([cutoff, 500]);
      expect(cache.invalidate).toHaveBeenCalledTimes(1);
      expect(cache.invalidate).toHaveBeenCalledWith('j1', 'j2');
    });

    it("gives the purged files' bytes back to their owners' counters in the same statement, in user order", async () => {
      jobs.query.mockResolvedValue([]);
      await sut.purgeFinishedBefore(cutoff, 500);
      expect(jobs.query).toHaveBeenCalledTimes(1);
      const [sql] = jobs.query.mock.calls[0] as [string];
      expect(sql).toContain('RETURNING id, user_id, artifact_bytes');
      expect(sql).toContain('sum(artifact_bytes) AS bytes, count(*)::int AS artifacts FROM purged');
      expect(sql).toContain('ORDER BY user_storage.user_id FOR NO KEY UPDATE OF user_storage');
      expect(sql).toContain('used_bytes = user_storage.used_bytes - freed.bytes');
      expect(sql).toContain('artifacts = user_storage.artifacts - freed.artifacts');
    });

    it('touches no cache when nothing is due', async () => {
      jobs.query.mockResolvedValue([]);
      expect(await sut.purgeFinishedBefore(cutoff, 500)).toEqual([]);
      expect(cache.invalidate).not.toHaveBeenCalled();
    });
  });
});
