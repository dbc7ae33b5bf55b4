import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobsModule } from '../jobs/jobs.module';
import { QueueWorkers } from './queue-workers';

/** The BullMQ workers of every module, started in `worker` and `all` processes. */
@Module({
  imports: [DiscoveryModule, JobsModule],
  providers: [QueueWorkers],
})
export class WorkersModule {}
