import { Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CommandBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { Env } from '../../config/env';
import { PurgeExpiredJobsCommand } from './commands/purge-expired-jobs/purge-expired-jobs.command';
import { JobCancellation } from './job-cancellation';
import { JobReconciler } from './job-reconciler';

const RETENTION_INTERVAL_MS = 3_600_000;

/** What a `worker` or `all` process does for jobs besides running them: cancel listening, reconcile, retention. */
@Injectable()
export class JobMaintenance implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(JobMaintenance.name);

  constructor(
    private readonly config: ConfigService<Env, true>,
    private readonly cancellation: JobCancellation,
    private readonly reconciler: JobReconciler,
    private readonly commands: CommandBus,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  private get runsWorkers() {
    return this.config.get('PROCESS_ROLE', { infer: true }) !== 'api';
  }

  /** At module init, so it listens before the jobs worker (started at application bootstrap) takes a job. */
  async onModuleInit() {
    if (this.runsWorkers) await this.cancellation.listen();
  }

  onApplicationBootstrap() {
    if (!this.runsWorkers) return;
    const every = this.config.get('RECONCILE_INTERVAL_MS', { infer: true });
    // Scheduled only in worker processes, at configured intervals: registered with @nestjs/schedule's
    // registry (which clears them at shutdown) rather than declared with static @Interval decorators.
    this.scheduler.addInterval(
      'reconcile-jobs',
      setInterval(
        () =>
          void this.reconciler
            .runOnce(every)
            .catch((error: unknown) => this.logger.warn({ err: error }, 'Reconcile failed')),
        every,
      ),
    );
    // Retention: hourly, in small batches (safe to run from several workers at once: SKIP LOCKED).
    const purge = () =>
      void this.commands
        .execute(new PurgeExpiredJobsCommand())
        .then(({ purged }) => purged && this.logger.log(`Retention purged ${purged} finished job(s)`))
        .catch((error: unknown) => this.logger.warn({ err: error }, 'Retention purge failed'));
    this.scheduler.addInterval('purge-expired-jobs', setInterval(purge, RETENTION_INTERVAL_MS).unref());
  }
}
