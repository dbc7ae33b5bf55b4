import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { Logger, Module, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ArtifactStore } from './artifacts/artifact-store';
import { StorageUsage } from './artifacts/storage-usage';
import { CancelJobHandler } from './commands/cancel-job/cancel-job.handler';
import { RetryJobHandler } from './commands/retry-job/retry-job.handler';
import { SubmitJobBatchHandler } from './commands/submit-job-batch/submit-job-batch.handler';
import { SubmitJobHandler } from './commands/submit-job/submit-job.handler';
import { UpdateJobHandler } from './commands/update-job/update-job.handler';
import { PurgeExpiredJobsHandler } from './commands/purge-expired-jobs/purge-expired-jobs.handler';
import { RunJobAttemptHandler } from './commands/run-job-attempt/run-job-attempt.handler';
import { LogWebhookAttemptHandler } from './event-handlers/log-webhook-attempt.event-handler';
import { RemoveDeletedUserJobsHandler } from './event-handlers/remove-deleted-user-jobs.event-handler';
import { JobLogEntity } from './entities/job-log.entity';
import { JobEntity } from './entities/job.entity';
import { FairShareModule } from './fair-share/fair-share.module';
import { JobSlots } from './fair-share/job-slots';
import { JOB_TYPES } from './job-types/job-types';
import { JobThreadPool } from './job-threads/job-thread-pool';
import { JobCache } from './job-cache';
import { JobCancellation } from './job-cancellation';
import { JobTypeRegistry } from './job-type-registry';
import { JobLogWriter } from './job-log-writer';
import { JobOutbox } from './job-outbox';
import { JobQueue } from './job-queue';
import { JobReconciler } from './job-reconciler';
import { JobSearch } from './job-search';
import { JobStore } from './job-store';
import { JobMaintenance } from './job-maintenance';
import { JobsController } from './jobs.controller';
import { JOBS_QUEUE } from './jobs.queue';
import { RunJobProcessor } from './processors/run-job.processor';
import { GetJobArtifactHandler } from './queries/get-job-artifact/get-job-artifact.handler';
import { GetJobLogsHandler } from './queries/get-job-logs/get-job-logs.handler';
import { GetJobStatsHandler } from './queries/get-job-stats/get-job-stats.handler';
import { GetJobHandler } from './queries/get-job/get-job.handler';
import { GetJobPositionHandler } from './queries/get-job-position/get-job-position.handler';
import { ListJobsHandler } from './queries/list-jobs/list-jobs.handler';
import { ListUserJobIdsHandler } from './queries/list-user-job-ids/list-user-job-ids.handler';
import { QueueCounts } from './queue-position/queue-counts';
import { QueuePosition } from './queue-position/queue-position';
import { QUEUE_POSITION_SOURCE } from './queue-position/queue-position-source';
import { FairQueuePosition } from './fair-share/fair-queue-position';
import { Idempotency } from './submission/idempotency';
import { JobDrafts } from './submission/job-drafts';
import { JobEnqueuer } from './submission/job-enqueuer';
import { SubmissionQuota } from './submission/submission-quota.interceptor';

@Module({
  imports: [
    ScheduleModule.forRoot(),
    DiscoveryModule,
    TypeOrmModule.forFeature([JobEntity, JobLogEntity]),
    BullModule.registerQueue({ name: JOBS_QUEUE }),
    FairShareModule,
  ],
  controllers: [JobsController],
  providers: [
    ...JOB_TYPES,
    JobThreadPool,
    JobTypeRegistry,
    ArtifactStore,
    StorageUsage,
    JobCache,
    JobStore,
    JobQueue,
    JobSlots,
    JobOutbox,
    JobLogWriter,
    JobCancellation,
    JobDrafts,
    JobEnqueuer,
    Idempotency,
    SubmissionQuota,
    RunJobProcessor,
    JobReconciler,
    JobMaintenance,
    RunJobAttemptHandler,
    LogWebhookAttemptHandler,
    RemoveDeletedUserJobsHandler,
    JobSearch,
    SubmitJobHandler,
    SubmitJobBatchHandler,
    CancelJobHandler,
    RetryJobHandler,
    UpdateJobHandler,
    PurgeExpiredJobsHandler,
    GetJobHandler,
    GetJobPositionHandler,
    QueueCounts,
    QueuePosition,
    { provide: QUEUE_POSITION_SOURCE, useExisting: FairQueuePosition },
    ListJobsHandler,
    ListUserJobIdsHandler,
    GetJobLogsHandler,
    GetJobStatsHandler,
    GetJobArtifactHandler,
  ],
  exports: [
    FairShareModule,
    JobStore,
    JobQueue,
    JobOutbox,
    JobLogWriter,
    JobReconciler,
    JobSearch,
    JobThreadPool,
  ],
})
export class JobsModule implements OnModuleInit {
  private readonly logger = new Logger(JobsModule.name);

  constructor(@InjectQueue(JOBS_QUEUE) private readonly queue: Queue) {}

  /** BullMQ reconnects by itself; log its connection errors once each, in the structured log. */
  onModuleInit() {
    this.queue.on('error', (error) => this.logger.warn({ err: error }, 'Jobs queue connection error'));
  }
}
