import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { JobEntity } from '../../entities/job.entity';
import { MarkWebhookQueuedCommand } from './mark-webhook-queued.command';

@CommandHandler(MarkWebhookQueuedCommand)
export class MarkWebhookQueuedHandler implements ICommandHandler<MarkWebhookQueuedCommand> {
  constructor(@InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>) {}

  async execute({ jobId, finishedAt }: MarkWebhookQueuedCommand) {
    // Only for that finish: a job retried and finished again since has a pending webhook of its own.
    // (finished_at has microseconds; the event carried milliseconds.)
    await this.jobs.query(
      `UPDATE jobs SET webhook_pending = false
        WHERE id = $1 AND webhook_pending AND date_trunc('milliseconds', finished_at) = $2`,
      [jobId, new Date(finishedAt)],
    );
  }
}
