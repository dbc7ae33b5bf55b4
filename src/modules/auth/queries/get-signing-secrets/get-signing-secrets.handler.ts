import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { WebhookSecretEntity } from '../../entities/webhook-secret.entity';
import { GetSigningSecretsQuery } from './get-signing-secrets.query';

export const PREVIOUS_SECRET_GRACE_MS = 24 * 3600 * 1000;

@QueryHandler(GetSigningSecretsQuery)
export class GetSigningSecretsHandler implements IQueryHandler<GetSigningSecretsQuery> {
  constructor(
    @InjectRepository(WebhookSecretEntity) private readonly secrets: Repository<WebhookSecretEntity>,
  ) {}

  async execute({ userId }: GetSigningSecretsQuery) {
    const row = await this.secrets.findOneBy({ userId });
    if (!row) throw new AppError('NOT_FOUND', 'Webhook secret not found');
    const recent =
      row.previousSecret && row.rotatedAt && Date.now() - row.rotatedAt.getTime() < PREVIOUS_SECRET_GRACE_MS;
    return recent ? { current: row.secret, previous: row.previousSecret! } : { current: row.secret };
  }
}
