import { BullModule } from '@nestjs/bullmq';
import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { JOBS_QUEUE } from '../jobs/jobs.queue';
import { WEBHOOKS_QUEUE } from '../webhooks/webhooks.queue';
import { CountWebhookDeliveriesHandler } from './event-handlers/count-webhook-deliveries.event-handler';
import { RecordJobMetricsHandler } from './event-handlers/record-job-metrics.event-handler';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { WorkerMetricsServer } from './worker-metrics-server';

/** Prometheus metrics: `/metrics` on the API port, and on `METRICS_PORT` in worker processes. */
@Module({
  imports: [BullModule.registerQueue({ name: JOBS_QUEUE }, { name: WEBHOOKS_QUEUE })],
  controllers: [MetricsController],
  providers: [
    Metrics,
    HttpMetricsMiddleware,
    WorkerMetricsServer,
    RecordJobMetricsHandler,
    CountWebhookDeliveriesHandler,
  ],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*');
  }
}
