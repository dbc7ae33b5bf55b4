import { IQueryHandler, QueryBus, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { GetJobQuery } from '../../../jobs/queries/get-job/get-job.query';
import { WebhookDeliveryEntity } from '../../entities/webhook-delivery.entity';
import { ListDeliveriesQuery } from './list-deliveries.query';

/** Every delivery attempt of the caller's job, oldest first. */
@QueryHandler(ListDeliveriesQuery)
export class ListDeliveriesHandler implements IQueryHandler<ListDeliveriesQuery> {
  constructor(
    @InjectRepository(WebhookDeliveryEntity) private readonly deliveries: Repository<WebhookDeliveryEntity>,
    private readonly queries: QueryBus,
  ) {}

  async execute({ userId, jobId }: ListDeliveriesQuery) {
    await this.queries.execute(new GetJobQuery(userId, jobId)); // 404 unless it is the caller's
    const rows = await this.deliveries.find({
      where: { jobId },
      order: { createdAt: 'ASC', attempt: 'ASC' },
    });
    return rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() }));
  }
}
