import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { AppError } from '@app/common/errors/app-error';
import { Repository } from 'typeorm';
import { WebhookSecretEntity } from '../../entities/webhook-secret.entity';
import { GetWebhookSecretQuery } from './get-webhook-secret.query';

@QueryHandler(GetWebhookSecretQuery)
export class GetWebhookSecretHandler implements IQueryHandler<GetWebhookSecretQuery> {
  constructor(
    @InjectRepository(WebhookSecretEntity) private readonly secrets: Repository<WebhookSecretEntity>,
  ) {}

  async execute({ userId }: GetWebhookSecretQuery) {
    const row = await this.secrets.findOneBy({ userId });
    if (!row) throw new AppError('NOT_FOUND', 'Webhook secret not found');
    return { webhookSecret: row.secret };
  }
}
