import { Command } from '@nestjs/cqrs';
import type { JobView } from '../../job-view';

export class CancelJobCommand extends Command<JobView> {
  constructor(
    readonly userId: string,
    readonly jobId: string,
  ) {
    super();
  }
}
