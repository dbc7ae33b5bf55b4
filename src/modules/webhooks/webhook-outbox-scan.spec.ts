import { Logger } from '@nestjs/common';
import type { CommandBus } from '@nestjs/cqrs';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { fake } from '@app/testing/fake';
import { testConfig } from '@app/testing/job-context';
import type { JobOutbox } from '../jobs/job-outbox';
import type { JobView } from '../jobs/job-view';
import { EnqueueDeliveryCommand } from './commands/enqueue-delivery/enqueue-delivery.command';
import { WebhookOutboxScan } from './webhook-outbox-scan';

describe(WebhookOutboxScan.name, () => {
  const outbox = { due: jest.fn() };
  const commands = { execute: jest.fn() };
  const scheduler = { addInterval: jest.fn() };
  const sut = new WebhookOutboxScan(
    fake<JobOutbox>(outbox),
    fake<CommandBus>(commands),
    testConfig(),
    fake<SchedulerRegistry>(scheduler),
  );
  const due = ['j1', 'j2', 'j3'].map(
    (id) => ({ id, status: 'DONE', webhookUrl: 'https://h.example' }) as JobView,
  );
  const queued = () => commands.execute.mock.calls.map(([command]) => command as EnqueueDeliveryCommand);

  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  beforeEach(() => {
    jest.clearAllMocks();
    outbox.due.mockResolvedValue(due);
    commands.execute.mockResolvedValue({ deliveryId: 'd1' });
  });

  it('queues the final event of each due job, as the automatic delivery, and counts them', async () => {
    expect(await sut.runOnce()).toBe(3);
    expect(outbox.due).toHaveBeenCalledWith(10_000, 500);
    queued().forEach((command) => expect(command).toBeInstanceOf(EnqueueDeliveryCommand));
    expect(queued().map((command) => [command.job.id, command.redelivery])).toEqual([
      ['j1', false],
      ['j2', false],
      ['j3', false],
    ]);
  });

  it('keeps going when one cannot be queued, counting only those that were', async () => {
    commands.execute.mockResolvedValueOnce({ deliveryId: 'd1' }).mockRejectedValueOnce(new Error('refused'));
    expect(await sut.runOnce()).toBe(2);
    expect(queued().map((command) => command.job.id)).toEqual(['j1', 'j2', 'j3']);
  });

  it('queues nothing when nothing is due', async () => {
    outbox.due.mockResolvedValue([]);
    expect(await sut.runOnce(0)).toBe(0);
    expect(outbox.due).toHaveBeenCalledWith(0, 500);
    expect(commands.execute).not.toHaveBeenCalled();
  });
});
