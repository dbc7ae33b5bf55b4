import { Query } from '@nestjs/cqrs';
import type { WebhookDeliveryResponseDto } from '../../dto/webhook-delivery.response.dto';

export class ListDeliveriesQuery extends Query<WebhookDeliveryResponseDto[]> {
  constructor(
    readonly userId: string,
    readonly jobId: string,
  ) {
    super();
  }
}
