import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JobsModule } from '../jobs/jobs.module';
import { DeliverWebhookHandler } from './commands/deliver-webhook/deliver-webhook.handler';
import { EnqueueDeliveryHandler } from './commands/enqueue-delivery/enqueue-delivery.handler';
import { RedeliverWebhookHandler } from './commands/redeliver-webhook/redeliver-webhook.handler';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { QueueFinalEventHandler } from './event-handlers/queue-final-event.event-handler';
import { DeliverWebhookProcessor } from './processors/deliver-webhook.processor';
import { DeliverySlots } from './delivery-slots';
import { ListDeliveriesHandler } from './queries/list-deliveries/list-deliveries.handler';
import { WebhooksController } from './webhooks.controller';
import { WEBHOOKS_QUEUE } from './webhooks.queue';
import { WebhookOutboxScan } from './webhook-outbox-scan';
import { WebhookQueue } from './webhook-queue';

@Module({
  imports: [
    JobsModule,
    TypeOrmModule.forFeature([WebhookDeliveryEntity]),
    BullModule.registerQueue({ name: WEBHOOKS_QUEUE }),
  ],
  controllers: [WebhooksController],
  providers: [
    QueueFinalEventHandler,
    EnqueueDeliveryHandler,
    DeliverWebhookHandler,
    RedeliverWebhookHandler,
    ListDeliveriesHandler,
    DeliverWebhookProcessor,
    WebhookOutboxScan,
    WebhookQueue,
    DeliverySlots,
  ],
})
export class WebhooksModule {}
