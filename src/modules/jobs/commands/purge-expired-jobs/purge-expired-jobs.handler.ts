import { ConfigService } from '@nestjs/config';
import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Env } from '../../../../config/env';
import { ArtifactStore } from '../../artifacts/artifact-store';
import { JobsPurgedEvent } from '../../events/jobs-purged.event';
import { JobCache } from '../../job-cache';
import { PurgeExpiredJobsCommand } from './purge-expired-jobs.command';

/**
 * Deletes in small batches, each its own short transaction (`SKIP LOCKED`, so it never waits on a busy row
 * and never holds many locks); job_logs go with their job (ON DELETE CASCADE).
 */
@CommandHandler(PurgeExpiredJobsCommand)
export class PurgeExpiredJobsHandler implements ICommandHandler<PurgeExpiredJobsCommand> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly artifacts: ArtifactStore,
    private readonly cache: JobCache,
    private readonly events: EventBus,
    private readonly config: ConfigService<Env, true>,
  ) {}

  async execute({ batchSize }: PurgeExpiredJobsCommand) {
    const cutoff = new Date(Date.now() - this.config.get('JOB_RETENTION_DAYS', { infer: true }) * 86_400_000);
    let purged = 0;
    for (;;) {
      const rows = await this.db.query<{ id: string }[]>(
        `WITH purged AS (
           DELETE FROM jobs WHERE id IN (
             SELECT id FROM jobs
              WHERE status IN ('DONE', 'FAILED', 'CANCELLED') AND finished_at < $1
              ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED)
           RETURNING id)
         SELECT id FROM purged`,
        [cutoff, batchSize],
      );
      if (rows.length === 0) return { purged };
      const ids = rows.map((row) => row.id);
      await Promise.all(ids.map((id) => this.artifacts.remove(id)));
      await this.cache.invalidate(...ids);
      this.events.publish(new JobsPurgedEvent(ids));
      purged += ids.length;
    }
  }
}
