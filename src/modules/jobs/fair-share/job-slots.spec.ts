import { fake } from '@app/testing/fake';
import type { ConfigService } from '@nestjs/config';
import type { Job } from 'bullmq';
import type { Env } from '../../../config/env';
import type { JobQueue } from '../job-queue';
import type { RunJobData } from '../jobs.queue';
import type { FairShare } from './fair-share';
import { JobSlots } from './job-slots';
import { HELD_RECHECK_MS } from './slot-handover';
import type { TenantLimits } from './tenant-limits';

describe(JobSlots.name, () => {
  const fair = { start: jest.fn(), release: jest.fn(), hasSlot: jest.fn() };
  const limits = { of: jest.fn() };
  const queue = { wake: jest.fn(), bringForward: jest.fn() };
  const config = (fairSharing: boolean) => fake<ConfigService<Env, true>>({ get: () => fairSharing });
  const slots = (fairSharing = true) =>
    new JobSlots(
      fake<FairShare>(fair),
      fake<TenantLimits>(limits),
      fake<JobQueue>(queue),
      config(fairSharing),
    );
  const moveToDelayed = jest.fn(() => Promise.resolve());
  const moveToWait = jest.fn(() => Promise.resolve());
  const changePriority = jest.fn(() => Promise.resolve());
  const entry = (data: RunJobData) =>
    fake<Job<RunJobData>>({ data, priority: 42, moveToDelayed, moveToWait, changePriority });

  beforeEach(() => {
    jest.clearAllMocks();
    limits.of.mockResolvedValue({ weight: 1, cap: 3 });
  });

  it('runs an entry without an owner (queued before fair sharing) untouched', async () => {
    expect(await slots().acquire(entry({ jobId: 'j1' }), 't')).toEqual({ run: true });
    expect(fair.start).not.toHaveBeenCalled();
  });

  it('takes a slot with a lease of the timeout plus a margin, and says what to release', async () => {
    fair.start.mockResolvedValue({ kind: 'run' });
    const taken = await slots().acquire(entry({ jobId: 'j1', userId: 'u1', timeoutMs: 1000 }), 't');
    expect(taken).toEqual({ run: true, slot: { tenant: 'u1', id: 'j1', cap: 3 } });
    expect(fair.start).toHaveBeenCalledWith('u1', 'j1', 42, 3, 61_000);
  });

  it('skips Redis entirely with fair sharing off and no cap', async () => {
    limits.of.mockResolvedValue({ weight: 1, cap: 0 });
    expect(await slots(false).acquire(entry({ jobId: 'j1', userId: 'u1' }), 't')).toEqual({ run: true });
    expect(fair.start).not.toHaveBeenCalled();
  });

  it('holds an entry at the cap: back to delayed with its token, woken by itself if a slot came meanwhile', async () => {
    fair.start.mockResolvedValue({ kind: 'held' });
    fair.hasSlot.mockResolvedValueOnce(false).mockResolvedValueOnce(true);
    const now = Date.now();
    expect(await slots().acquire(entry({ jobId: 'j1', userId: 'u1' }), 'tok')).toEqual({
      run: false,
      went: 'delayed',
    });
    expect(moveToDelayed).toHaveBeenCalledWith(expect.any(Number), 'tok');
    const [[until]] = moveToDelayed.mock.calls as unknown as [[number]];
    expect(until).toBeGreaterThanOrEqual(now + HELD_RECHECK_MS);
    expect(queue.wake).not.toHaveBeenCalled();

    await slots().acquire(entry({ jobId: 'j2', userId: 'u1' }), 'tok');
    expect(queue.wake).toHaveBeenCalledWith('j2');
  });

  it("gives its turn to the tenant's better job: that one just ahead, this one back in waiting at its place", async () => {
    fair.start
      .mockResolvedValueOnce({ kind: 'yield', to: 'gone' })
      .mockResolvedValueOnce({ kind: 'yield', to: 'better' });
    queue.bringForward.mockImplementation((id: string) => Promise.resolve(id === 'better' ? 50 : undefined));
    const taken = await slots().acquire(entry({ jobId: 'j1', userId: 'u1' }), 'tok');
    expect(taken).toEqual({ run: false, went: 'waiting' });
    expect(queue.bringForward.mock.calls).toEqual([
      ['gone', 41],
      ['better', 41],
    ]);
    expect(changePriority).toHaveBeenCalledWith({ priority: 50 });
    expect(moveToWait).toHaveBeenCalledWith('tok');
  });

  it('wakes the held jobs a release reserved slots for, and frees the slots of those that are gone', async () => {
    fair.release.mockResolvedValueOnce(['h1', 'h2']).mockResolvedValueOnce(['h3']).mockResolvedValueOnce([]);
    queue.wake.mockImplementation((id: string) => Promise.resolve(id === 'h2' ? 'gone' : 'woken'));
    await slots().release({ tenant: 'u1', id: 'j1', cap: 3 });
    expect(queue.wake.mock.calls).toEqual([['h1'], ['h2'], ['h3']]);
    expect(fair.release.mock.calls.map((call: unknown[]) => call[1])).toEqual(['j1', 'h2']);
  });
});
