import { Logger } from '@nestjs/common';
import { fake } from '@app/testing/fake';
import { testConfig } from '@app/testing/job-context';
import type Redis from 'ioredis';
import { LessThan, type Repository } from 'typeorm';
import type { JobEntity } from './entities/job.entity';
import type { JobLogWriter } from './job-log-writer';
import type { JobQueue } from './job-queue';
import { JobReconciler } from './job-reconciler';
import { attemptsLeft } from './jobs.queue';
import type { JobStore } from './job-store';

type Requeue = (job: JobEntity) => Promise<unknown>;

describe(JobReconciler.name, () => {
  // The rows each query answers: PENDING ones first, then PROCESSING ones.
  let rows: { PENDING: object[]; PROCESSING: object[] };
  const jobs = {
    find: jest.fn(({ where }: { where: { status: 'PENDING' | 'PROCESSING' } }) =>
      Promise.resolve(rows[where.status]),
    ),
  };
  const redis = { set: jest.fn(), eval: jest.fn() };
  const queue = { state: jest.fn(), requeue: jest.fn(), stallsIfGivenUp: jest.fn() };
  const store = {
    // As it behaves when the row changed: the row (still at that attempt, now PENDING) to `requeue`.
    requeueLost: jest.fn(async (id: string, _attempt: number, requeue: Requeue) => {
      const found = rows.PROCESSING.find((row) => (row as JobEntity).id === id);
      const lost = { ...found, status: 'PENDING' } as JobEntity;
      await requeue(lost);
      return lost;
    }),
    fail: jest.fn(),
    quarantine: jest.fn(() => Promise.resolve({ id: 'j1' })),
  };
  const logs = { append: jest.fn() };
  const sut = new JobReconciler(
    fake<Repository<JobEntity>>(jobs),
    fake<Redis>(redis),
    fake<JobQueue>(queue),
    fake<JobStore>(store),
    fake<JobLogWriter>(logs),
    testConfig({ QUEUE_PREFIX: 'cv', WORKER_LOCK_DURATION_MS: '20000', WORKER_STALLED_INTERVAL_MS: '5000' }),
  );
  const job = (overrides: Partial<JobEntity>) => ({
    id: 'j1',
    status: 'PENDING',
    priority: 'normal',
    attempts: 0,
    maxRetries: 3,
    runAt: null,
    ...overrides,
  });

  const now = Date.parse('2030-01-01T00:00:00Z');

  beforeAll(() => {
    jest.spyOn(Date, 'now').mockReturnValue(now);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  beforeEach(() => {
    jest.clearAllMocks();
    rows = { PENDING: [], PROCESSING: [] };
    redis.set.mockResolvedValue('OK');
    redis.eval.mockResolvedValue(1);
    queue.state.mockResolvedValue('missing');
    queue.requeue.mockResolvedValue(true);
  });

  it('does nothing while another worker holds the lock', async () => {
    redis.set.mockResolvedValue(null);
    rows.PENDING = [job({})];
    expect(await sut.runOnce()).toEqual({ enqueued: 0, repaired: 0 });
    expect(redis.set).toHaveBeenCalledWith('cv:reconciler', expect.any(String), 'PX', 30_000, 'NX');
    expect(jobs.find).not.toHaveBeenCalled();
    expect(queue.requeue).not.toHaveBeenCalled();
    expect(redis.eval).not.toHaveBeenCalled();
  });

  it('releases its own lock only, also when a pass fails', async () => {
    jobs.find.mockRejectedValueOnce(new Error('db down'));
    await expect(sut.runOnce()).rejects.toThrow('db down');
    const [token] = redis.set.mock.calls[0].slice(1) as [string];
    expect(redis.eval).toHaveBeenCalledWith(
      expect.stringContaining(`redis.call('DEL', KEYS[1])`),
      1,
      'cv:reconciler',
      token,
    );
  });

  it('requeues a PENDING job whose entry is gone with the runs it has left', async () => {
    const orphan = job({ attempts: 1 }); // waiting for its retry when its entry went
    rows.PENDING = [orphan];
    expect(await sut.runOnce()).toEqual({ enqueued: 1, repaired: 0 });
    expect(queue.state).toHaveBeenCalledWith('j1');
    expect(queue.requeue).toHaveBeenCalledWith(orphan, 3);
    expect(logs.append).toHaveBeenCalledWith(
      'j1',
      'warn',
      'Re-enqueued by the reconciler: it had no queue entry',
    );
  });

  it('logs the re-enqueue before queueing (the job may start at once), and says so when queueing fails', async () => {
    rows.PENDING = [job({})];
    await sut.runOnce();
    expect(logs.append.mock.invocationCallOrder[0]).toBeLessThan(queue.requeue.mock.invocationCallOrder[0]);

    jest.clearAllMocks();
    queue.requeue.mockRejectedValueOnce(new Error('Connection is closed.'));
    await expect(sut.runOnce()).rejects.toThrow('Connection is closed.');
    expect(logs.append.mock.calls.map((call) => call[2])).toEqual([
      'Re-enqueued by the reconciler: it had no queue entry',
      'Not re-enqueued after all: the queue is unavailable',
    ]);
  });

  it.each(['completed', 'failed', 'unknown'])('treats an entry that is %s as gone', async (state) => {
    rows.PENDING = [job({})];
    queue.state.mockResolvedValue(state);
    expect(await sut.runOnce()).toEqual({ enqueued: 1, repaired: 0 });
    expect(queue.requeue).toHaveBeenCalledWith(rows.PENDING[0], 4);
  });

  it.each(['waiting', 'prioritized', 'delayed', 'active'])(
    'leaves a job whose entry is %s',
    async (state) => {
      rows.PENDING = [job({})];
      rows.PROCESSING = [job({ id: 'j2', status: 'PROCESSING', attempts: 1 })];
      queue.state.mockResolvedValue(state);
      expect(await sut.runOnce()).toEqual({ enqueued: 0, repaired: 0 });
      expect(queue.requeue).not.toHaveBeenCalled();
      expect(store.requeueLost).not.toHaveBeenCalled();
      expect(store.fail).not.toHaveBeenCalled();
    },
  );

  it('looks only at rows past their grace, oldest first, in batches', async () => {
    await sut.runOnce();
    const [pending, processing] = jobs.find.mock.calls.map(([options]) => options);
    expect(pending).toEqual({
      where: { status: 'PENDING', updatedAt: LessThan(new Date(now - 10_000)) },
      order: { updatedAt: 'ASC' },
      take: 500,
    });
    // A PROCESSING row is lost only once BullMQ itself would have noticed a stall (lock + stalled interval).
    expect(processing).toEqual({
      where: { status: 'PROCESSING', updatedAt: LessThan(new Date(now - 20_000 - 5000)) },
      order: { updatedAt: 'ASC' },
      take: 500,
    });
  });

  it('requeues a PROCESSING job whose 3rd of 4 attempts was lost with the 2 runs it had left', async () => {
    rows.PROCESSING = [job({ status: 'PROCESSING', attempts: 3, maxRetries: 3 })];
    expect(await sut.runOnce()).toEqual({ enqueued: 0, repaired: 1 });
    expect(store.requeueLost).toHaveBeenCalledWith('j1', 3, expect.any(Function));
    expect(queue.requeue).toHaveBeenCalledWith(expect.objectContaining({ id: 'j1', status: 'PENDING' }), 2);
    expect(store.fail).not.toHaveBeenCalled();
  });

  it('gives a job that lost its last attempt one more run', async () => {
    rows.PROCESSING = [job({ status: 'PROCESSING', attempts: 4, maxRetries: 3 })];
    await sut.runOnce();
    expect(queue.requeue).toHaveBeenCalledWith(expect.objectContaining({ id: 'j1' }), 1);
    expect(store.fail).not.toHaveBeenCalled();
  });

  it('fails a lost job whose attempts are past its budget', async () => {
    rows.PROCESSING = [job({ status: 'PROCESSING', attempts: 5, maxRetries: 3 })];
    expect(await sut.runOnce()).toEqual({ enqueued: 0, repaired: 1 });
    expect(store.fail).toHaveBeenCalledWith('j1', 5, 'Worker lost the job and no retries are left');
    expect(logs.append).toHaveBeenCalledWith(
      'j1',
      'warn',
      'Repaired by the reconciler: its worker lost the job',
    );
    expect(store.requeueLost).not.toHaveBeenCalled();
    expect(queue.requeue).not.toHaveBeenCalled();
  });
});

describe(`${JobReconciler.name}: a job whose worker keeps dying`, () => {
  const processingRow = { id: 'j1', status: 'PROCESSING', attempts: 2, maxRetries: 3 };
  const jobs = {
    find: jest.fn(({ where }: { where: { status: string } }) =>
      Promise.resolve(where.status === 'PROCESSING' ? [processingRow] : []),
    ),
  };
  const queue = {
    state: jest.fn(() => Promise.resolve('failed')),
    stallsIfGivenUp: jest.fn(() => Promise.resolve(4)),
    requeue: jest.fn(),
  };
  const store = {
    quarantine: jest.fn(() => Promise.resolve({ id: 'j1' })),
    requeueLost: jest.fn(),
    fail: jest.fn(),
  };
  const sut = new JobReconciler(
    fake<Repository<JobEntity>>(jobs),
    fake<Redis>({ set: jest.fn(() => Promise.resolve('OK')), eval: jest.fn() }),
    fake<JobQueue>(queue),
    fake<JobStore>(store),
    fake<JobLogWriter>({ append: jest.fn() }),
    testConfig(),
  );

  beforeAll(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  it('quarantines a PROCESSING row whose entry BullMQ gave up for stalling, instead of requeueing it', async () => {
    expect(await sut.runOnce()).toEqual({ enqueued: 0, repaired: 1 });
    expect(queue.stallsIfGivenUp).toHaveBeenCalledWith('j1');
    expect(store.quarantine).toHaveBeenCalledWith('j1', 4);
    expect(store.requeueLost).not.toHaveBeenCalled();
    expect(queue.requeue).not.toHaveBeenCalled();
    expect(Logger.prototype.error).toHaveBeenCalledWith(
      { jobId: 'j1', stalls: 4 },
      'Job quarantined: its worker stopped 4 times while running it',
    );
  });
});

describe(attemptsLeft.name, () => {
  it.each([
    [{ maxRetries: 3, attempts: 0 }, 0, 4],
    [{ maxRetries: 3, attempts: 1 }, 0, 3],
    [{ maxRetries: 3, attempts: 3 }, 1, 2],
    [{ maxRetries: 3, attempts: 4 }, 1, 1],
    [{ maxRetries: 0, attempts: 0 }, 0, 1],
  ])('%o with %i uncounted has %i run(s) left', (job, uncounted, left) => {
    expect(attemptsLeft(job, uncounted)).toBe(left);
  });

  it('leaves at least one run', () => {
    expect(attemptsLeft({ maxRetries: 3, attempts: 4 })).toBe(1);
    expect(attemptsLeft({ maxRetries: 1, attempts: 7 }, 1)).toBe(1);
  });
});
