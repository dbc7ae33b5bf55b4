import { fake } from '@app/testing/fake';
import type Redis from 'ioredis';
import { QueryFailedError, Repository } from 'typeorm';
import type { JobEntity } from '../entities/job.entity';
import type { JobView } from '../job-view';
import { Idempotency } from './idempotency';

describe(Idempotency.name, () => {
  const jobs = { findOneBy: jest.fn(), update: jest.fn() };
  const redis = { set: jest.fn(), eval: jest.fn() };
  const sut = new Idempotency(fake<Repository<JobEntity>>(jobs), fake<Redis>(redis));
  const created = fake<JobView>({ id: 'new' });
  const create = jest.fn();
  const row = (overrides: Partial<JobEntity> = {}) =>
    fake<JobEntity>({
      id: 'old',
      requestHash: 'h1',
      createdAt: new Date(),
      updatedAt: new Date(),
      ...overrides,
    });
  const run = () => sut.run('u1', 'key-1', 'h1', create);

  beforeEach(() => {
    jest.resetAllMocks();
    redis.set.mockResolvedValue('OK');
    redis.eval.mockResolvedValue(1);
    create.mockResolvedValue(created);
  });

  it('creates on first use of the key, under a lock it then releases', async () => {
    jobs.findOneBy.mockResolvedValue(null);
    expect(await run()).toEqual({ job: created, replayed: false });
    expect(jobs.findOneBy).toHaveBeenCalledWith({ userId: 'u1', idempotencyKey: 'key-1' });
    const [lock, token, px, ms, nx] = redis.set.mock.calls[0] as unknown[];
    expect([px, ms, nx]).toEqual(['PX', 60_000, 'NX']);
    expect(lock).toMatch(/^conveyor:idempotency:u1:[0-9a-f]{64}$/);
    expect(redis.eval).toHaveBeenCalledWith(expect.any(String), 1, lock, token);
  });

  it('replays the job of an existing row with the same hash', async () => {
    jobs.findOneBy.mockResolvedValue(row());
    expect(await run()).toEqual({ job: expect.objectContaining({ id: 'old' }), replayed: true });
    expect(create).not.toHaveBeenCalled();
    expect(redis.set).not.toHaveBeenCalled();
  });

  it('refuses the key with another body', async () => {
    jobs.findOneBy.mockResolvedValue(row({ requestHash: 'h2' }));
    await expect(run()).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
    expect(create).not.toHaveBeenCalled();
  });

  it('answers 409 while another request holds the lock and no row exists yet', async () => {
    jobs.findOneBy.mockResolvedValue(null);
    redis.set.mockResolvedValue(null);
    await expect(run()).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE', status: 409 });
    expect(create).not.toHaveBeenCalled();
  });

  it('replays the row that appeared while the lock was held elsewhere', async () => {
    jobs.findOneBy.mockResolvedValueOnce(null).mockResolvedValueOnce(row());
    redis.set.mockResolvedValue(null);
    expect(await run()).toMatchObject({ replayed: true, job: { id: 'old' } });
  });

  it('replays the winner of a unique violation', async () => {
    jobs.findOneBy.mockResolvedValueOnce(null).mockResolvedValueOnce(null).mockResolvedValueOnce(row());
    create.mockRejectedValue(
      new QueryFailedError('INSERT', [], Object.assign(new Error('duplicate key'), { code: '23505' })),
    );
    expect(await run()).toMatchObject({ replayed: true, job: { id: 'old' } });
    expect(redis.eval).toHaveBeenCalledTimes(1);
  });

  it('gives up the key of a row older than 24 h and creates', async () => {
    jobs.findOneBy.mockResolvedValueOnce(row({ createdAt: new Date(Date.now() - 24 * 3600 * 1000 - 1000) }));
    jobs.findOneBy.mockResolvedValue(null);
    expect(await run()).toEqual({ job: created, replayed: false });
    expect(jobs.update).toHaveBeenCalledWith(
      { id: 'old', idempotencyKey: 'key-1' },
      { idempotencyKey: null },
    );
  });

  it('releases the lock when create throws', async () => {
    jobs.findOneBy.mockResolvedValue(null);
    const boom = new Error('boom');
    create.mockRejectedValue(boom);
    await expect(run()).rejects.toBe(boom);
    expect(redis.eval).toHaveBeenCalledTimes(1);
  });

  describe('held', () => {
    it('says whether a job within 24 h holds the key', async () => {
      jobs.findOneBy.mockResolvedValueOnce(row()).mockResolvedValueOnce(null);
      expect(await sut.held('u1', 'key-1')).toBe(true);
      expect(await sut.held('u1', 'key-2')).toBe(false);
      expect(jobs.findOneBy).toHaveBeenCalledWith({ userId: 'u1', idempotencyKey: 'key-1' });
    });

    it('gives an expired holder the key up', async () => {
      jobs.findOneBy.mockResolvedValue(row({ createdAt: new Date(Date.now() - 25 * 3600 * 1000) }));
      expect(await sut.held('u1', 'key-1')).toBe(false);
      expect(jobs.update).toHaveBeenCalledWith(
        { id: 'old', idempotencyKey: 'key-1' },
        { idempotencyKey: null },
      );
    });

    it.each(['', 'k\u0000', 'with space', 'x'.repeat(256)])(
      'does not ask the database about a key that is not a valid one (%j)',
      async (key) => {
        expect(await sut.held('u1', key)).toBe(false);
        expect(jobs.findOneBy).not.toHaveBeenCalled();
      },
    );
  });
});
