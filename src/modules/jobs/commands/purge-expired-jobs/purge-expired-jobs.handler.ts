import { ConfigService } from '@nestjs/config';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { Env } from '../../../../config/env';
import { ArtifactStore } from '../../artifacts/artifact-store';
import { JobStore } from '../../job-store';
import { PurgeExpiredJobsCommand } from './purge-expired-jobs.command';

/**
 * Finished jobs older than JOB_RETENTION_DAYS, in small batches (JobStore.purgeFinishedBefore); their log
 * lines and webhook deliveries go in the same statement (foreign keys ON DELETE CASCADE), and so do their
 * kept files' sizes, off their owners' storage counters; then the files.
 */
@CommandHandler(PurgeExpiredJobsCommand)
export class PurgeExpiredJobsHandler implements ICommandHandler<PurgeExpiredJobsCommand> {
  constructor(
    private readonly store: JobStore,
    private readonly artifacts: ArtifactStore,
    private readonly config: ConfigService<Env, true>,
  ) {}

  async execute({ batchSize }: PurgeExpiredJobsCommand) {
    const cutoff = new Date(Date.now() - this.config.get('JOB_RETENTION_DAYS', { infer: true }) * 86_400_000);
    let purged = 0;
    for (;;) {
      const ids = await this.store.purgeFinishedBefore(cutoff, batchSize);
      if (ids.length === 0) return { purged };
      await Promise.all(ids.map((id) => this.artifacts.remove(id)));
      purged += ids.length;
    }
  }
}
