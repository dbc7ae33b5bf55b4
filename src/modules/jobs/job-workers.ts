import { BullRegistrar } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CommandBus } from '@nestjs/cqrs';
import { ConfigService } from '@nestjs/config';
import { type Env, workerLockOptions } from '../../config/env';
import { PurgeExpiredJobsCommand } from './commands/purge-expired-jobs/purge-expired-jobs.command';
import { JobCancellation } from './job-cancellation';
import { JobReconciler } from './job-reconciler';
import { RUN_JOB_WORKER_OPTIONS, RunJobProcessor } from './processors/run-job.processor';

/**
 * Starts the queue workers in `worker` and `all` processes, configured from the environment: the worker is
 * created here (manual registration), after its options are filled in.
 */
const RETENTION_INTERVAL_MS = 3_600_000;

@Injectable()
export class JobWorkers implements OnApplicationBootstrap {
  private readonly logger = new Logger(JobWorkers.name);

  constructor(
    private readonly config: ConfigService<Env, true>,
    private readonly registrar: BullRegistrar,
    private readonly processor: RunJobProcessor,
    private readonly cancellation: JobCancellation,
    private readonly reconciler: JobReconciler,
    private readonly commands: CommandBus,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  async onApplicationBootstrap() {
    if (this.config.get('PROCESS_ROLE', { infer: true }) === 'api') return;
    Object.assign(RUN_JOB_WORKER_OPTIONS, {
      concurrency: this.config.get('WORKER_CONCURRENCY', { infer: true }),
      ...workerLockOptions(this.config),
    });
    await this.cancellation.listen();
    this.registrar.register();
    const worker = this.processor.worker;
    worker.on('error', (error) => this.logger.error({ err: error }, 'Worker error'));
    this.processor.shutdownGraceMs = this.config.get('SHUTDOWN_GRACE_MS', { infer: true });
    this.processor.registered = true;
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
    this.logger.log(`Running jobs with concurrency ${worker.concurrency}`);
  }
}
