import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { PushJobStatusHandler } from './event-handlers/push-job-status.event-handler';
import { RealtimeGateway } from './realtime.gateway';
import { RealtimePublisher } from './realtime-publisher';

@Module({
  imports: [AuthModule],
  providers: [RealtimeGateway, RealtimePublisher, PushJobStatusHandler],
})
export class RealtimeModule {}
