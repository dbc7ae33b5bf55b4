import { Command } from '@nestjs/cqrs';
import type { BatchJobDto } from '../../dto/submit-job.dto';
import type { JobView } from '../../job-view';

export class SubmitJobBatchCommand extends Command<{ jobs: JobView[] }> {
  constructor(
    readonly userId: string,
    readonly jobs: BatchJobDto[],
  ) {
    super();
  }
}
