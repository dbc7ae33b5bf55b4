import { Module } from '@nestjs/common';
import { PushJobStatusHandler } from './event-handlers/push-job-status.event-handler';
import { RealtimeGateway } from './realtime.gateway';
import { RealtimePublisher } from './realtime-publisher';

@Module({
  providers: [RealtimeGateway, RealtimePublisher, PushJobStatusHandler],
})
export class RealtimeModule {}
