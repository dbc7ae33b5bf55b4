import { CommandBus, CommandHandler, ICommandHandler, QueryBus } from '@nestjs/cqrs';
import { AppError } from '@app/common/errors/app-error';
import { GetJobQuery } from '../../../jobs/queries/get-job/get-job.query';
import { EnqueueDeliveryCommand } from '../enqueue-delivery/enqueue-delivery.command';
import { RedeliverWebhookCommand } from './redeliver-webhook.command';

/** Sends the job's final event again, as a new delivery with a new `webhook-id`. */
@CommandHandler(RedeliverWebhookCommand)
export class RedeliverWebhookHandler implements ICommandHandler<RedeliverWebhookCommand> {
  constructor(
    private readonly queries: QueryBus,
    private readonly commands: CommandBus,
  ) {}

  async execute({ userId, jobId }: RedeliverWebhookCommand) {
    const job = await this.queries.execute(new GetJobQuery(userId, jobId));
    if (!job.webhookUrl) throw new AppError('INVALID_OPERATION', 'This job has no webhookUrl.');
    if (!['DONE', 'FAILED', 'CANCELLED'].includes(job.status)) {
      throw new AppError(
        'INVALID_OPERATION',
        `Cannot redeliver for a job with status ${job.status}: it has no final event yet.`,
      );
    }
    return this.commands.execute(new EnqueueDeliveryCommand(job, true));
  }
}
