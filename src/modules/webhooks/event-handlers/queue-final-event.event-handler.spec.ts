import { Logger } from '@nestjs/common';
import type { CommandBus } from '@nestjs/cqrs';
import { fake } from '@app/testing/fake';
import { JobCancelledEvent } from '../../jobs/events/job-cancelled.event';
import { JobFailedEvent } from '../../jobs/events/job-failed.event';
import { JobSucceededEvent } from '../../jobs/events/job-succeeded.event';
import type { JobView } from '../../jobs/job-view';
import { EnqueueDeliveryCommand } from '../commands/enqueue-delivery/enqueue-delivery.command';
import { QueueFinalEventHandler } from './queue-final-event.event-handler';

describe(QueueFinalEventHandler.name, () => {
  const commands = { execute: jest.fn() };
  const sut = new QueueFinalEventHandler(fake<CommandBus>(commands));
  const job = (overrides: Partial<JobView> = {}) =>
    ({
      id: 'j1',
      status: 'DONE',
      webhookUrl: 'https://h.example',
      finishedAt: '2030-01-01T00:00:00.000Z',
      ...overrides,
    }) as JobView;

  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  beforeEach(() => {
    jest.clearAllMocks();
    commands.execute.mockResolvedValue({ deliveryId: 'd1' });
  });

  it.each([
    ['JobSucceededEvent', new JobSucceededEvent(job())],
    ['JobFailedEvent', new JobFailedEvent(job({ status: 'FAILED' }))],
    ['JobCancelledEvent', new JobCancelledEvent(job({ status: 'CANCELLED' }))],
  ])('queues the automatic delivery of a %s', async (_name, event) => {
    await sut.handle(event);
    expect(commands.execute).toHaveBeenCalledTimes(1);
    const [command] = commands.execute.mock.calls[0] as [EnqueueDeliveryCommand];
    expect(command).toBeInstanceOf(EnqueueDeliveryCommand);
    expect(command.job).toBe(event.job);
    expect(command.redelivery).toBe(false);
  });

  it('does nothing for a job without a webhookUrl', async () => {
    await sut.handle(new JobSucceededEvent(job({ webhookUrl: null })));
    expect(commands.execute).not.toHaveBeenCalled();
  });

  it('swallows a failure to queue, leaving it to the outbox scan', async () => {
    commands.execute.mockRejectedValue(new Error('Connection is closed.'));
    await expect(sut.handle(new JobFailedEvent(job({ status: 'FAILED' })))).resolves.toBeUndefined();
  });
});
