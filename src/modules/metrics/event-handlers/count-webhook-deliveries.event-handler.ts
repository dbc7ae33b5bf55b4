import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { WebhookAttemptedEvent } from '../../webhooks/events/webhook-attempted.event';
import { Metrics } from '../metrics';

/** `conveyor_webhook_deliveries_total{outcome}`: one count per delivery attempt, in the worker that made it. */
@EventsHandler(WebhookAttemptedEvent)
export class CountWebhookDeliveriesHandler implements IEventHandler<WebhookAttemptedEvent> {
  constructor(private readonly metrics: Metrics) {}

  handle(event: WebhookAttemptedEvent) {
    this.metrics.webhookDeliveries.inc({ outcome: event.success ? 'success' : 'failure' });
  }
}
