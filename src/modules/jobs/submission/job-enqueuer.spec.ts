import { fake } from '@app/testing/fake';
import type { StorageUsage } from '../artifacts/storage-usage';
import { JobEntity } from '../entities/job.entity';
import type { JobQueue } from '../job-queue';
import type { JobStore, NewJob } from '../job-store';
import type { JobDraft } from './job-drafts';
import { JobEnqueuer } from './job-enqueuer';

type Enqueue = (jobs: JobEntity[]) => Promise<void>;

describe(JobEnqueuer.name, () => {
  const at = new Date('2030-01-01T00:00:00Z');
  // JobStore.create as it behaves: the rows as entities, in draft order, to `enqueue`, then the entities
  // (its own spec covers the INSERT, the cleanup and the events).
  const store = {
    create: jest.fn(async (rows: NewJob[], enqueue: Enqueue) => {
      await Promise.resolve(); // a round trip: submissions arriving meanwhile wait for the next one
      const jobs = rows.map((row) => Object.assign(new JobEntity(), row, { createdAt: at, updatedAt: at }));
      await enqueue(jobs);
      return jobs;
    }),
  };
  const queue = { enqueue: jest.fn() };
  const sut = new JobEnqueuer(
    fake<JobStore>(store),
    fake<JobQueue>(queue),
    fake<StorageUsage>({ assertRoomFor: () => Promise.resolve() }),
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
  const created = () => store.create.mock.calls.map(([rows]) => rows);

  beforeEach(() => {
    jest.clearAllMocks();
    queue.enqueue.mockResolvedValue(undefined);
  });

  it('creates the rows under new ids, then queues them', async () => {
    const [job] = await sut.submit([draft()], 'api');
    expect(created()).toEqual([[{ ...draft(), id: job.id, via: 'api' }]]);
    expect(job).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), type: 'sleep' });
    expect(queue.enqueue).toHaveBeenCalledWith([job]);
  });

  it('creates and queues the jobs of a batch together, in the order submitted', async () => {
    const jobs = await sut.submit([draft('a'), draft('b')], 'batch');
    expect(store.create).toHaveBeenCalledTimes(1);
    expect(created()[0].map((row) => [row.type, row.via])).toEqual([
      ['a', 'batch'],
      ['b', 'batch'],
    ]);
    expect(jobs.map((job) => job.type)).toEqual(['a', 'b']);
    expect(new Set(jobs.map((job) => job.id)).size).toBe(2);
    expect(queue.enqueue).toHaveBeenCalledTimes(1);
    expect(queue.enqueue).toHaveBeenCalledWith(jobs);
  });

  it('lets submissions that arrive meanwhile share the next create, each getting its own jobs', async () => {
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
    expect(created().map((rows) => rows.map((row) => [row.type, row.via]))).toEqual([
      [['a', 'api']],
      [['e', 'api']],
      [
        ['b', 'api'],
        ['c', 'batch'],
        ['d', 'batch'],
      ],
    ]);
    expect(queue.enqueue).toHaveBeenCalledTimes(3);
  });

  it('answers 503 when the queue is unreachable', async () => {
    queue.enqueue.mockRejectedValueOnce(refused);
    await expect(sut.submit([draft(), draft()], 'batch')).rejects.toMatchObject({
      name: 'AppError',
      code: 'SERVICE_UNAVAILABLE',
      status: 503,
    });
  });

  it('fails every submission of a shared create together', async () => {
    const first = sut.submit([draft('a')], 'api');
    queue.enqueue.mockResolvedValueOnce(undefined).mockRejectedValueOnce(refused);
    const shared = [sut.submit([draft('b')], 'api'), sut.submit([draft('c')], 'api')];
    await expect(first).resolves.toHaveLength(1);
    for (const submission of shared) await expect(submission).rejects.toMatchObject({ status: 503 });
  });

  it('rethrows other queue errors as they are', async () => {
    const bug = new Error('bad options');
    queue.enqueue.mockRejectedValueOnce(bug);
    await expect(sut.submit([draft()], 'api')).rejects.toBe(bug);
  });
});
