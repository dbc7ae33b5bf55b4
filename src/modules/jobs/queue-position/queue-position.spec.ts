import { fake } from '@app/testing/fake';
import type { JobView } from '../job-view';
import { QueueCounts } from './queue-counts';
import { QueuePosition } from './queue-position';
import type { QueuePositionSource } from './queue-position-source';

describe(QueuePosition.name, () => {
  const now = new Date('2026-12-04T09:00:00.000Z');
  const job = {
    id: 'j1',
    userId: 'u1',
    status: 'PENDING',
    priority: 'normal',
    attempts: 0,
    maxRetries: 3,
    error: null,
    runAt: null,
    nextRetryAt: null,
  } as unknown as JobView;
  const counts = {
    of: jest.fn(() => Promise.resolve({ ahead: 4, recentStarts: { count: 0, seconds: 60 }, now })),
  };
  const position = (
    isPaused: () => Promise<boolean>,
    source: QueuePositionSource = { heldBy: () => Promise.resolve(null) },
  ) => new QueuePosition(fake({ isPaused }), fake<QueueCounts>(counts), source);
  const redisDown = () =>
    Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));

  it('is null for a job that is not PENDING, without asking anything', async () => {
    counts.of.mockClear();
    expect(await position(() => Promise.resolve(true)).of({ ...job, status: 'DONE' })).toBeNull();
    expect(counts.of).not.toHaveBeenCalled();
  });

  it('says held when the scheduler holds the job by its cap, waiting otherwise', async () => {
    const source = { heldBy: () => Promise.resolve({ running: 2, limit: 2 }) };
    expect(await position(() => Promise.resolve(false), source).of(job)).toMatchObject({
      state: 'held',
      ahead: 4,
      position: 5,
      reason: 'Held: 2 of your jobs are running (your limit is 2).',
    });
    expect(await position(() => Promise.resolve(false)).of(job)).toMatchObject({
      state: 'waiting',
      ahead: 4,
    });
  });

  it('still answers from PostgreSQL while Redis is down, leaving out what only Redis knows', async () => {
    const source = { heldBy: redisDown };
    expect(await position(redisDown, source).of(job)).toMatchObject({ state: 'waiting', ahead: 4 });
  });

  it('does not wait for a Redis that does not answer: what it would tell is left out', async () => {
    const never = () => new Promise<never>(() => undefined);
    expect(await position(never, { heldBy: never }).of(job)).toMatchObject({ state: 'waiting', ahead: 4 });
  });

  it('lets any other error through', async () => {
    await expect(position(() => Promise.reject(new TypeError('a bug'))).of(job)).rejects.toThrow('a bug');
  });
});
