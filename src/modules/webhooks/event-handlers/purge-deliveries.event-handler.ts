import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { JobsPurgedEvent } from '../../jobs/events/jobs-purged.event';
import { WebhookDeliveryEntity } from '../entities/webhook-delivery.entity';

/** Retention: the deliveries of purged jobs go with them. */
@EventsHandler(JobsPurgedEvent)
export class PurgeDeliveriesHandler implements IEventHandler<JobsPurgedEvent> {
  constructor(
    @InjectRepository(WebhookDeliveryEntity) private readonly deliveries: Repository<WebhookDeliveryEntity>,
  ) {}

  async handle({ jobIds }: JobsPurgedEvent) {
    await this.deliveries.delete({ jobId: In(jobIds) });
  }
}
