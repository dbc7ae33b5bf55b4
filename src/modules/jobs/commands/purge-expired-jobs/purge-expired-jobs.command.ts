import { Command } from '@nestjs/cqrs';

/** Removes finished jobs older than JOB_RETENTION_DAYS, with their logs, deliveries and artifacts. */
export class PurgeExpiredJobsCommand extends Command<{ purged: number }> {
  constructor(readonly batchSize = 500) {
    super();
  }
}
