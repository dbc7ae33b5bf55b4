import type { CommandBus, QueryBus } from '@nestjs/cqrs';
import { fake } from '@app/testing/fake';
import type { JobView } from '../../../jobs/job-view';
import { GetJobQuery } from '../../../jobs/queries/get-job/get-job.query';
import { EnqueueDeliveryCommand } from '../enqueue-delivery/enqueue-delivery.command';
import { RedeliverWebhookCommand } from './redeliver-webhook.command';
import { RedeliverWebhookHandler } from './redeliver-webhook.handler';

describe(RedeliverWebhookHandler.name, () => {
  const queries = { execute: jest.fn() };
  const commands = { execute: jest.fn() };
  const sut = new RedeliverWebhookHandler(fake<QueryBus>(queries), fake<CommandBus>(commands));
  const job = (overrides: Partial<JobView> = {}) =>
    ({ id: 'j1', userId: 'u1', status: 'DONE', webhookUrl: 'https://h.example', ...overrides }) as JobView;

  beforeEach(() => {
    jest.resetAllMocks();
    commands.execute.mockResolvedValue({ deliveryId: 'd2' });
  });

  it("reads the user's job and queues its final event again as a redelivery", async () => {
    queries.execute.mockResolvedValue(job({ status: 'FAILED' }));
    expect(await sut.execute(new RedeliverWebhookCommand('u1', 'j1'))).toEqual({ deliveryId: 'd2' });
    const [query] = queries.execute.mock.calls[0] as [GetJobQuery];
    expect(query).toBeInstanceOf(GetJobQuery);
    expect(query).toMatchObject({ userId: 'u1', jobId: 'j1' });
    const [command] = commands.execute.mock.calls[0] as [EnqueueDeliveryCommand];
    expect(command).toBeInstanceOf(EnqueueDeliveryCommand);
    expect(command).toMatchObject({ job: { id: 'j1', status: 'FAILED' }, redelivery: true });
  });

  it('passes on JOB_NOT_FOUND for no job of the user', async () => {
    const notFound = Object.assign(new Error('Job not found'), { code: 'JOB_NOT_FOUND' });
    queries.execute.mockRejectedValue(notFound);
    await expect(sut.execute(new RedeliverWebhookCommand('u1', 'j1'))).rejects.toBe(notFound);
    expect(commands.execute).not.toHaveBeenCalled();
  });

  it('refuses a job without a webhookUrl', async () => {
    queries.execute.mockResolvedValue(job({ webhookUrl: null }));
    await expect(sut.execute(new RedeliverWebhookCommand('u1', 'j1'))).rejects.toMatchObject({
      code: 'INVALID_OPERATION',
      status: 400,
      message: 'This job has no webhookUrl.',
    });
    expect(commands.execute).not.toHaveBeenCalled();
  });

  it.each(['PENDING', 'PROCESSING'] as const)(
    'refuses a %s job: it has no final event yet',
    async (status) => {
      queries.execute.mockResolvedValue(job({ status }));
      await expect(sut.execute(new RedeliverWebhookCommand('u1', 'j1'))).rejects.toMatchObject({
        code: 'INVALID_OPERATION',
        message: `Cannot redeliver for a job with status ${status}: it has no final event yet.`,
      });
      expect(commands.execute).not.toHaveBeenCalled();
    },
  );
});
