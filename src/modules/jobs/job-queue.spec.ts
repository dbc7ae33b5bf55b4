import { fake } from '@app/testing/fake';
import type { ConfigService } from '@nestjs/config';
import type { Env } from '../../config/env';
import type { Queue } from 'bullmq';
import type { FairShare } from './fair-share/fair-share';
import type { TenantLimits } from './fair-share/tenant-limits';
import { JobQueue, type QueueableJob } from './job-queue';
import { RUN_JOB, runJobOptions } from './jobs.queue';

const config = (fairSharing: boolean) => fake<ConfigService<Env, true>>({ get: () => fairSharing });

describe(JobQueue.name, () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  // A BullMQ entry as getJob answers it: 4 runs in all, `attemptsMade` of them used.
  const entry = {
    isActive: jest.fn(),
    isDelayed: jest.fn(),
    getState: jest.fn(),
    remove: jest.fn(),
    changePriority: jest.fn(),
    changeDelay: jest.fn(),
    attemptsMade: 0,
    opts: { attempts: 4 },
  };
  const queue = { getJob: jest.fn(), add: jest.fn(), addBulk: jest.fn(), remove: jest.fn() };
  // Fair sharing off here: the class alone decides the priority (the tags are FairShare's, tested on Redis).
  const sut = new JobQueue(fake<Queue>(queue), fake<FairShare>({}), fake<TenantLimits>({}), config(false));
  const job = (overrides: Partial<QueueableJob> = {}): QueueableJob => ({
    id: 'j1',
    userId: 'u1',
    priority: 'normal',
    maxRetries: 3,
    attempts: 0,
    timeoutMs: 30_000,
    runAt: null,
    ...overrides,
  });
  const data = (id = 'j1') => ({ jobId: id, userId: 'u1', timeoutMs: 30_000 });
  const later = new Date(now + 60_000);

  beforeAll(() => jest.spyOn(Date, 'now').mockReturnValue(now));
  afterAll(() => jest.restoreAllMocks());

  beforeEach(() => {
    jest.clearAllMocks();
    Object.assign(entry, { attemptsMade: 0, opts: { attempts: 4 } });
    queue.getJob.mockResolvedValue(entry);
    entry.isActive.mockResolvedValue(false);
    entry.isDelayed.mockResolvedValue(false);
  });

  describe('enqueue', () => {
    it('queues a single job with add, under its id and with its whole budget', async () => {
      await sut.enqueue([job({ priority: 'high' })]);
      expect(queue.add).toHaveBeenCalledWith(RUN_JOB, data(), runJobOptions(job({ priority: 'high' })));
      expect(runJobOptions(job())).toMatchObject({ jobId: 'j1', attempts: 4 });
      expect(queue.addBulk).not.toHaveBeenCalled();
    });

    it('queues many jobs with one addBulk, in order', async () => {
      const jobs = [job({ id: 'j2' }), job({ id: 'j1', runAt: later })];
      await sut.enqueue(jobs);
      expect(queue.addBulk).toHaveBeenCalledWith(
        jobs.map((j) => ({ name: RUN_JOB, data: data(j.id), opts: runJobOptions(j) })),
      );
      expect(queue.add).not.toHaveBeenCalled();
    });

    it("with fair sharing on, gives each job its tenant's tag from one FairShare call, by the owner's weight", async () => {
      const tags = jest.fn(() => Promise.resolve([7, 3]));
      const ofMany = jest.fn(() => Promise.resolve(new Map([['u1', { weight: 2, cap: 0 }]])));
      const fair = new JobQueue(
        fake<Queue>(queue),
        fake<FairShare>({ tags }),
        fake<TenantLimits>({ ofMany }),
        config(true),
      );
      const jobs = [job({ id: 'j2' }), job({ id: 'j1', priority: 'high', runAt: later })];
      await fair.enqueue(jobs);
      // A job scheduled for later is not among its tenant's waiting jobs yet (no id).
      expect(tags).toHaveBeenCalledWith([
        { tenant: 'u1', priority: 'normal', weight: 2, id: 'j2' },
        { tenant: 'u1', priority: 'high', weight: 2, id: undefined },
      ]);
      expect(queue.addBulk).toHaveBeenCalledWith([
        { name: RUN_JOB, data: data('j2'), opts: { ...runJobOptions(jobs[0]), priority: 7 } },
        { name: RUN_JOB, data: data('j1'), opts: { ...runJobOptions(jobs[1]), priority: 3 } },
      ]);
    });

    it('sends nothing for no jobs', async () => {
      await sut.enqueue([]);
      expect(queue.add).not.toHaveBeenCalled();
      expect(queue.addBulk).not.toHaveBeenCalled();
    });
  });

  describe('requeue', () => {
    it('removes the old entry before adding the job again with the runs given', async () => {
      expect(await sut.requeue(job(), 2)).toBe(true);
      expect(queue.getJob).toHaveBeenCalledWith('j1');
      expect(entry.remove).toHaveBeenCalledTimes(1);
      expect(queue.add).toHaveBeenCalledWith(RUN_JOB, data(), { ...runJobOptions(job()), attempts: 2 });
      expect(entry.remove.mock.invocationCallOrder[0]).toBeLessThan(queue.add.mock.invocationCallOrder[0]);
    });

    it('adds the job when its entry is already gone', async () => {
      queue.getJob.mockResolvedValue(undefined);
      expect(await sut.requeue(job(), 4)).toBe(true);
      expect(queue.add).toHaveBeenCalledWith(RUN_JOB, data(), { ...runJobOptions(job()), attempts: 4 });
    });

    it('answers false at once, adding nothing, while an active attempt holds the id', async () => {
      entry.isActive.mockResolvedValue(true);
      expect(await sut.requeue(job(), 4)).toBe(false);
      // No waiting for the attempt to let go: one look, no polling.
      expect(queue.getJob).toHaveBeenCalledTimes(1);
      expect(entry.isActive).toHaveBeenCalledTimes(1);
      expect(entry.remove).not.toHaveBeenCalled();
      expect(queue.add).not.toHaveBeenCalled();
    });
  });

  describe('reschedule', () => {
    it('changes the priority of a waiting entry in place', async () => {
      expect(await sut.reschedule(job({ priority: 'high' }), { priority: 'high' })).toBe(true);
      expect(entry.changePriority).toHaveBeenCalledWith({ priority: 1 });
      expect(entry.remove).not.toHaveBeenCalled();
      expect(queue.add).not.toHaveBeenCalled();
    });

    it('changes the priority and the delay of a delayed entry in place', async () => {
      entry.isDelayed.mockResolvedValue(true);
      const changed = job({ priority: 'low', runAt: later });
      expect(await sut.reschedule(changed, { priority: 'low', runAt: later })).toBe(true);
      expect(entry.changePriority).toHaveBeenCalledWith({ priority: 3 });
      expect(entry.changeDelay).toHaveBeenCalledWith(60_000);
      expect(entry.remove).not.toHaveBeenCalled();
      expect(queue.add).not.toHaveBeenCalled();
    });

    it('replaces a waiting entry that must start later, with the attempts it has left', async () => {
      entry.attemptsMade = 1;
      const changed = job({ runAt: later });
      expect(await sut.reschedule(changed, { runAt: later })).toBe(true);
      expect(entry.changeDelay).not.toHaveBeenCalled();
      expect(entry.remove).toHaveBeenCalledTimes(1);
      expect(queue.add).toHaveBeenCalledWith(RUN_JOB, data(), {
        ...runJobOptions(changed),
        delay: 60_000,
        attempts: 3,
      });
      expect(entry.remove.mock.invocationCallOrder[0]).toBeLessThan(queue.add.mock.invocationCallOrder[0]);
    });

    // A job waiting for its retry is PENDING and sits in BullMQ as a delayed entry that has counted its attempts.
    it('keeps the retry budget and backoff of a job waiting for a retry', async () => {
      entry.isDelayed.mockResolvedValue(true);
      entry.attemptsMade = 2;
      expect(await sut.reschedule(job({ priority: 'high' }), { priority: 'high' })).toBe(true);
      expect(await sut.reschedule(job({ runAt: later }), { runAt: later })).toBe(true);
      expect(entry.changePriority).toHaveBeenCalledWith({ priority: 1 });
      expect(entry.changeDelay).toHaveBeenCalledWith(60_000);
      // The same entry, so the same attempts made (2 of 4) and the same backoff.
      expect(entry.remove).not.toHaveBeenCalled();
      expect(queue.add).not.toHaveBeenCalled();
    });

    it('answers false, changing nothing, when a worker has already taken the entry', async () => {
      entry.isActive.mockResolvedValue(true);
      expect(await sut.reschedule(job({ runAt: later }), { priority: 'high', runAt: later })).toBe(false);
      expect(entry.changePriority).not.toHaveBeenCalled();
      expect(entry.changeDelay).not.toHaveBeenCalled();
      expect(entry.remove).not.toHaveBeenCalled();
      expect(queue.add).not.toHaveBeenCalled();
    });

    it('queues the job when its entry is gone', async () => {
      queue.getJob.mockResolvedValue(undefined);
      const changed = job({ priority: 'low' });
      expect(await sut.reschedule(changed, { priority: 'low' })).toBe(true);
      expect(queue.add).toHaveBeenCalledWith(RUN_JOB, data(), runJobOptions(changed));
    });

    it('queues a job whose entry is gone with the runs it has left, not a new budget', async () => {
      queue.getJob.mockResolvedValue(undefined);
      const used = job({ attempts: 2 });
      expect(await sut.reschedule(used, { priority: 'high' })).toBe(true);
      expect(queue.add).toHaveBeenCalledWith(RUN_JOB, data(), { ...runJobOptions(used), attempts: 2 });
    });
  });

  describe('remove', () => {
    it('takes the entry out', async () => {
      queue.remove.mockResolvedValue(1);
      await sut.remove('j1');
      expect(queue.remove).toHaveBeenCalledWith('j1');
    });

    it('tolerates an entry that cannot be removed (locked by a worker)', async () => {
      queue.remove.mockRejectedValue(new Error('Job j1 could not be removed because it is locked'));
      await expect(sut.remove('j1')).resolves.toBeUndefined();
    });
  });

  describe('state', () => {
    it("answers the entry's state", async () => {
      entry.getState.mockResolvedValue('delayed');
      expect(await sut.state('j1')).toBe('delayed');
    });

    it('answers missing when there is no entry', async () => {
      queue.getJob.mockResolvedValue(undefined);
      expect(await sut.state('j1')).toBe('missing');
    });
  });
});
