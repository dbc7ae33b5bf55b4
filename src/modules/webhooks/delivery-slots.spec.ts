import { Logger } from '@nestjs/common';
import { fake } from '@app/testing/fake';
import { testConfig } from '@app/testing/job-context';
import type { Job } from 'bullmq';
import type { FairShare } from '../jobs/fair-share/fair-share';
import { HELD_RECHECK_MS } from '../jobs/fair-share/slot-handover';
import { DeliverySlots } from './delivery-slots';
import type { WebhookQueue } from './webhook-queue';
import type { DeliverWebhookData } from './webhooks.queue';

describe(DeliverySlots.name, () => {
  const fair = { start: jest.fn(), release: jest.fn(), hasSlot: jest.fn() };
  const queue = { wake: jest.fn() };
  const sut = new DeliverySlots(
    fake<FairShare>(fair),
    fake<WebhookQueue>(queue),
    testConfig({ WEBHOOK_USER_CONCURRENCY: '3', WEBHOOK_TIMEOUT_MS: '2500' }),
  );
  const moveToDelayed = jest.fn(() => Promise.resolve());
  const entry = (data: Partial<DeliverWebhookData>) =>
    fake<Job<DeliverWebhookData>>({ data, priority: 42, moveToDelayed });

  beforeEach(() => jest.clearAllMocks());

  it("takes one of the user's WEBHOOK_USER_CONCURRENCY slots, leased for the timeout plus a margin", async () => {
    fair.start.mockResolvedValue({ kind: 'run' });
    const taken = await sut.acquire(entry({ deliveryId: 'd1', userId: 'u1' }), 'tok');
    expect(taken).toEqual({ run: true, slot: { tenant: 'u1', id: 'd1' } });
    expect(fair.start).toHaveBeenCalledWith('u1', 'd1', 42, 3, 62_500);
    expect(moveToDelayed).not.toHaveBeenCalled();
  });

  it('runs an entry without a user (not one Conveyor queued) without a slot', async () => {
    expect(await sut.acquire(entry({ deliveryId: 'd1' }), 'tok')).toEqual({ run: true });
    expect(fair.start).not.toHaveBeenCalled();
  });

  it('holds a delivery at the cap: back to delayed with its token, woken by itself if a slot came meanwhile', async () => {
    fair.start.mockResolvedValue({ kind: 'held' });
    fair.hasSlot.mockResolvedValueOnce(false).mockResolvedValueOnce(true);
    const now = Date.now();
    expect(await sut.acquire(entry({ deliveryId: 'd1', userId: 'u1' }), 'tok')).toEqual({ run: false });
    expect(moveToDelayed).toHaveBeenCalledWith(expect.any(Number), 'tok');
    const [[until]] = moveToDelayed.mock.calls as unknown as [[number]];
    expect(until).toBeGreaterThanOrEqual(now + HELD_RECHECK_MS);
    expect(queue.wake).not.toHaveBeenCalled();

    expect(await sut.acquire(entry({ deliveryId: 'd2', userId: 'u1' }), 'tok')).toEqual({ run: false });
    expect(fair.hasSlot).toHaveBeenLastCalledWith('u1', 'd2');
    expect(queue.wake).toHaveBeenCalledWith('d2');
  });

  it('wakes the held deliveries a release reserved slots for, and frees the slots of those that are gone', async () => {
    fair.release.mockReset().mockResolvedValueOnce(['h1', 'h2']).mockResolvedValueOnce(['h3']);
    queue.wake.mockImplementation((id: string) => Promise.resolve(id === 'h2' ? 'gone' : 'woken'));
    await sut.release({ tenant: 'u1', id: 'd1' });
    expect(queue.wake.mock.calls).toEqual([['h1'], ['h2'], ['h3']]);
    expect(fair.release.mock.calls).toEqual([
      ['u1', 'd1', 3, 60_000],
      ['u1', 'h2', 3, 60_000],
    ]);
  });

  it("releases quietly: a failed release does not change the attempt's outcome", async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    fair.release.mockReset().mockRejectedValue(new Error('Connection is closed.'));
    await expect(sut.releaseQuietly({ tenant: 'u1', id: 'd1' })).resolves.toBeUndefined();
    await expect(sut.release({ tenant: 'u1', id: 'd1' })).rejects.toThrow('Connection is closed.');
    warn.mockRestore();
  });
});
