import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { BullBoardModule, type BullBoardModuleOptions } from '@bull-board/nestjs';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ThrottlerStorage } from '@nestjs/throttler';
import type { Env } from '../../config/env';
import { JobsModule } from '../jobs/jobs.module';
import { JOBS_QUEUE } from '../jobs/jobs.queue';
import { WEBHOOKS_QUEUE } from '../webhooks/webhooks.queue';
import { AdminController } from './admin.controller';
import { AdminFairSharingController } from './admin-fair-sharing.controller';
import { SetQueuePausedHandler } from './commands/set-queue-paused/set-queue-paused.handler';
import { UpdateUserLimitsHandler } from './commands/update-user-limits/update-user-limits.handler';
import { ReplayJobsHandler } from './commands/replay-jobs/replay-jobs.handler';
import { GetAdminStatsHandler } from './queries/get-admin-stats/get-admin-stats.handler';
import { ListAllJobsHandler } from './queries/list-all-jobs/list-all-jobs.handler';
import { QUEUE_BOARD_ROUTE, QueueBoardAdapter, queueBoardAuth } from './queue-board';

/** Admin REST routes (/api/admin/*) and bull-board at /admin/queues, both for the admin role only. */
@Module({
  imports: [
    JobsModule,
    BullBoardModule.forRootAsync({
      inject: [QueryBus, CommandBus, ThrottlerStorage, ConfigService],
      useFactory: (
        queries: QueryBus,
        commands: CommandBus,
        throttler: ThrottlerStorage,
        config: ConfigService<Env, true>,
      ) => ({
        route: QUEUE_BOARD_ROUTE,
        // @bull-board/express 9.10.1 brings its own copy of @bull-board/api, whose types differ from 9.10.2's
        // only by name; the adapter is the one bull-board/nestjs expects.
        adapter: QueueBoardAdapter as unknown as BullBoardModuleOptions['adapter'],
        boardOptions: { uiConfig: { boardTitle: 'Conveyor' } },
        middleware: queueBoardAuth({
          queries,
          commands,
          throttler,
          loginsPerMinute: config.get('AUTH_RATE_LIMIT_PER_MINUTE', { infer: true }),
        }),
      }),
    }),
    BullBoardModule.forFeature(
      { name: JOBS_QUEUE, adapter: BullMQAdapter },
      { name: WEBHOOKS_QUEUE, adapter: BullMQAdapter },
    ),
  ],
  controllers: [AdminController, AdminFairSharingController],
  providers: [
    ListAllJobsHandler,
    GetAdminStatsHandler,
    ReplayJobsHandler,
    // Fair sharing
    UpdateUserLimitsHandler,
    SetQueuePausedHandler,
  ],
})
export class AdminModule {}
