import { fake } from '@app/testing/fake';
import type { CommandBus } from '@nestjs/cqrs';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { DeliverWebhookCommand } from '../commands/deliver-webhook/deliver-webhook.command';
import type { DeliverySlots } from '../delivery-slots';
import type { DeliverWebhookData } from '../webhooks.queue';
import { deliverWebhookBackoff, DeliverWebhookProcessor } from './deliver-webhook.processor';

describe(DeliverWebhookProcessor.name, () => {
  const commands = { execute: jest.fn() };
  const slots = { acquire: jest.fn(), releaseQuietly: jest.fn() };
  const sut = new DeliverWebhookProcessor(fake<CommandBus>(commands), fake<DeliverySlots>(slots));
  const data = fake<DeliverWebhookData>({ deliveryId: 'd1', jobId: 'j1', userId: 'u1' });
  const slot = { tenant: 'u1', id: 'd1' };
  const queued = (attemptsMade: number, attempts?: number) =>
    fake<Job<DeliverWebhookData>>({ data, attemptsMade, opts: { attempts } });

  beforeEach(() => {
    jest.clearAllMocks();
    slots.acquire.mockResolvedValue({ run: true, slot });
    slots.releaseQuietly.mockResolvedValue(undefined);
  });

  it('holds a delivery over its user’s concurrency: DelayedError, no attempt made, nothing to release', async () => {
    slots.acquire.mockResolvedValue({ run: false });
    const entry = queued(1, 3);
    await expect(sut.process(entry, 'tok')).rejects.toBeInstanceOf(DelayedError);
    expect(slots.acquire).toHaveBeenCalledWith(entry, 'tok');
    expect(commands.execute).not.toHaveBeenCalled();
    expect(slots.releaseQuietly).not.toHaveBeenCalled();
  });

  it.each([
    ['delivered', { kind: 'delivered' }],
    ['retried', { kind: 'retry', error: 'Receiver answered HTTP 500' }],
    ['failed', { kind: 'failed', error: 'Receiver answered HTTP 500' }],
  ])(
    'gives its slot back after an attempt that %s, before BullMQ hears the outcome',
    async (_name, outcome) => {
      commands.execute.mockResolvedValue(outcome);
      await sut.process(queued(0, 3), 'tok').catch(() => undefined);
      expect(slots.releaseQuietly).toHaveBeenCalledWith(slot);
      expect(commands.execute.mock.invocationCallOrder[0]).toBeLessThan(
        slots.releaseQuietly.mock.invocationCallOrder[0],
      );
    },
  );

  it('gives its slot back when the attempt throws', async () => {
    commands.execute.mockRejectedValue(new Error('database down'));
    await expect(sut.process(queued(0, 3), 'tok')).rejects.toThrow('database down');
    expect(slots.releaseQuietly).toHaveBeenCalledWith(slot);
  });

  it("makes attempt attemptsMade + 1 within the queue entry's attempt budget", async () => {
    commands.execute.mockResolvedValue({ kind: 'delivered' });
    await expect(sut.process(queued(1, 3))).resolves.toBeUndefined();
    await sut.process(queued(0));
    expect(commands.execute.mock.calls).toEqual([
      [new DeliverWebhookCommand(data, 2, 3)],
      [new DeliverWebhookCommand(data, 1, 1)],
    ]);
  });

  it('a failed attempt with attempts left is an error BullMQ retries after 2 s, 4 s…', async () => {
    commands.execute.mockResolvedValue({ kind: 'retry', error: 'Receiver answered HTTP 500' });
    const error = await sut.process(queued(0, 3)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(UnrecoverableError);
    expect(error).toMatchObject({ message: 'Receiver answered HTTP 500' });
    expect([1, 2, 3].map(deliverWebhookBackoff)).toEqual([2000, 4000, 8000]);
  });

  it('a final failure is unrecoverable', async () => {
    commands.execute.mockResolvedValue({ kind: 'failed', error: 'Receiver answered HTTP 500' });
    const error = await sut.process(queued(2, 3)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error).toMatchObject({ message: 'Receiver answered HTTP 500' });
  });
});
