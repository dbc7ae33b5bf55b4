import { fake } from '@app/testing/fake';
import { testConfig } from '@app/testing/job-context';
import type { JobOutbox } from '../../../jobs/job-outbox';
import type { JobView } from '../../../jobs/job-view';
import { uuidFrom } from '../../signature';
import type { WebhookQueue } from '../../webhook-queue';
import type { DeliverWebhookData } from '../../webhooks.queue';
import { EnqueueDeliveryCommand } from './enqueue-delivery.command';
import { EnqueueDeliveryHandler } from './enqueue-delivery.handler';

describe(EnqueueDeliveryHandler.name, () => {
  const finishedAt = '2030-01-01T00:00:05.123Z';
  const queue = { add: jest.fn() };
  const outbox = { markQueued: jest.fn() };
  const sut = new EnqueueDeliveryHandler(
    fake<WebhookQueue>(queue),
    testConfig({ WEBHOOK_MAX_ATTEMPTS: '5' }),
    fake<JobOutbox>(outbox),
  );
  const job = (overrides: Partial<JobView> = {}): JobView => ({
    id: '6f1c2a34-0000-4000-8000-000000000001',
    userId: 'u1',
    type: 'sleep',
    status: 'DONE',
    priority: 'normal',
    payload: { ms: 1 },
    result: { sleptMs: 1 },
    error: null,
    progress: 100,
    attempts: 2,
    maxRetries: 3,
    timeoutMs: 30_000,
    webhookUrl: 'https://hooks.example.com/conveyor',
    idempotencyKey: null,
    runAt: null,
    nextRetryAt: null,
    startedAt: '2030-01-01T00:00:04.000Z',
    finishedAt,
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: finishedAt,
    ...overrides,
  });
  const added = () => queue.add.mock.calls[0] as [DeliverWebhookData, number, string | undefined];

  beforeEach(() => {
    jest.clearAllMocks();
    // As the queue: the entry added, under the delivery's id.
    queue.add.mockImplementation((data: DeliverWebhookData) => Promise.resolve(data.deliveryId));
    outbox.markQueued.mockResolvedValue(undefined);
  });

  it('queues the final event as the exact body to sign, under an id derived from the finish', async () => {
    const { deliveryId } = await sut.execute(new EnqueueDeliveryCommand(job()));
    expect(deliveryId).toBe(uuidFrom(`${job().id}|${finishedAt}`));
    const [data, attempts] = added();
    expect(data).toEqual({
      deliveryId,
      jobId: job().id,
      userId: 'u1',
      url: 'https://hooks.example.com/conveyor',
      event: 'job.done',
      body: expect.any(String),
    });
    expect(JSON.parse(data.body)).toEqual({
      jobId: job().id,
      type: 'sleep',
      status: 'DONE',
      result: { sleptMs: 1 },
      error: null,
      attempts: 2,
      timestamp: finishedAt,
    });
    expect(Object.keys(JSON.parse(data.body) as object)).toEqual([
      'jobId',
      'type',
      'status',
      'result',
      'error',
      'attempts',
      'timestamp',
    ]);
    expect(attempts).toBe(5);
    expect(added()[2]).toBeUndefined();
  });

  it('gives the same finish the same delivery id, and a later finish another', async () => {
    const first = await sut.execute(new EnqueueDeliveryCommand(job()));
    const again = await sut.execute(new EnqueueDeliveryCommand(job()));
    const later = await sut.execute(
      new EnqueueDeliveryCommand(job({ finishedAt: '2030-01-02T00:00:00.000Z' })),
    );
    expect(again.deliveryId).toBe(first.deliveryId);
    expect(later.deliveryId).not.toBe(first.deliveryId);
  });

  it('clears the outbox flag of that finish once the delivery is queued', async () => {
    await sut.execute(new EnqueueDeliveryCommand(job()));
    expect(outbox.markQueued).toHaveBeenCalledWith(job().id, finishedAt);
    expect(queue.add.mock.invocationCallOrder[0]).toBeLessThan(outbox.markQueued.mock.invocationCallOrder[0]);
  });

  it('leaves the outbox flag set when the queue refuses', async () => {
    const down = new Error('Connection is closed.');
    queue.add.mockRejectedValue(down);
    await expect(sut.execute(new EnqueueDeliveryCommand(job()))).rejects.toBe(down);
    expect(outbox.markQueued).not.toHaveBeenCalled();
  });

  it('queues a redelivery under a fresh id, leaving the outbox alone', async () => {
    const automatic = uuidFrom(`${job().id}|${finishedAt}`);
    const first = await sut.execute(new EnqueueDeliveryCommand(job(), true));
    const second = await sut.execute(new EnqueueDeliveryCommand(job(), true));
    expect(first.deliveryId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([first.deliveryId, second.deliveryId]).not.toContain(automatic);
    expect(second.deliveryId).not.toBe(first.deliveryId);
    expect(added()[0].deliveryId).toBe(first.deliveryId);
    expect(added()[1]).toBe(5);
    // One redelivery of a job pending at a time (BullMQ's deduplication, keyed by the job).
    expect(added()[2]).toBe(`redeliver:${job().id}`);
    expect(outbox.markQueued).not.toHaveBeenCalled();
  });

  it('answers 409 REDELIVERY_PENDING when BullMQ hands back a redelivery still pending', async () => {
    queue.add.mockResolvedValue('pending-delivery');
    await expect(sut.execute(new EnqueueDeliveryCommand(job(), true))).rejects.toMatchObject({
      code: 'REDELIVERY_PENDING',
      status: 409,
      message:
        'A redelivery of this job (delivery pending-delivery) is still pending. Wait for it to finish.',
    });
  });

  it.each([
    ['FAILED', 'job.failed'],
    ['CANCELLED', 'job.cancelled'],
  ] as const)('names a %s job’s event %s', async (status, event) => {
    await sut.execute(new EnqueueDeliveryCommand(job({ status, result: null, error: 'boom' })));
    expect(added()[0].event).toBe(event);
    expect(JSON.parse(added()[0].body)).toMatchObject({ status, error: 'boom', result: null });
  });

  it.each([
    ['an unfinished job', { status: 'PROCESSING', finishedAt: null }],
    ['a job without a webhookUrl', { webhookUrl: null }],
    ['a job without a finish time', { finishedAt: null }],
  ] as const)('throws for %s, queuing nothing', async (_name, overrides) => {
    await expect(sut.execute(new EnqueueDeliveryCommand(job(overrides)))).rejects.toThrow(
      `Job ${job().id} has no final event to deliver`,
    );
    expect(queue.add).not.toHaveBeenCalled();
    expect(outbox.markQueued).not.toHaveBeenCalled();
  });
});
