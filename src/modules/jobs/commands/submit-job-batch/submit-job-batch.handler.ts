import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { toJobView } from '../../job-view';
import { JobDrafts } from '../../submission/job-drafts';
import { JobEnqueuer } from '../../submission/job-enqueuer';
import { SubmitJobBatchCommand } from './submit-job-batch.command';

/** Up to 100 jobs in one transaction and one queue call: all of them, or (any bad one) none. */
@CommandHandler(SubmitJobBatchCommand)
export class SubmitJobBatchHandler implements ICommandHandler<SubmitJobBatchCommand> {
  constructor(
    private readonly drafts: JobDrafts,
    private readonly enqueuer: JobEnqueuer,
  ) {}

  async execute({ userId, jobs }: SubmitJobBatchCommand) {
    const drafts = await this.drafts.fromDtos(
      userId,
      jobs.map((dto, i) => ({ dto, prefix: `jobs.${i}.` })),
    );
    return { jobs: (await this.enqueuer.submit(drafts, 'batch')).map(toJobView) };
  }
}
