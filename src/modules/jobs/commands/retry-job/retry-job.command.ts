import { Command } from '@nestjs/cqrs';
import type { JobView } from '../../job-view';

export class RetryJobCommand extends Command<JobView> {
  constructor(
    readonly userId: string | null,
    readonly jobId: string,
    /** Who asked, for the job log: the owner's retry or an admin's replay. */
    readonly via: 'retry' | 'replay' = 'retry',
  ) {
    super();
  }
}
