import { Command } from '@nestjs/cqrs';
import type { UpdateJobDto } from '../../dto/job-queries.dto';
import type { JobView } from '../../job-view';

export class UpdateJobCommand extends Command<JobView> {
  constructor(
    readonly userId: string,
    readonly jobId: string,
    readonly changes: UpdateJobDto,
  ) {
    super();
  }
}
