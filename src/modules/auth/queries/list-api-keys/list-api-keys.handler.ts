import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { ApiKeyEntity } from '../../entities/api-key.entity';
import { ListApiKeysQuery } from './list-api-keys.query';

/** The caller's active keys, newest first, without their hashes. */
@QueryHandler(ListApiKeysQuery)
export class ListApiKeysHandler implements IQueryHandler<ListApiKeysQuery> {
  constructor(@InjectRepository(ApiKeyEntity) private readonly apiKeys: Repository<ApiKeyEntity>) {}

  execute({ userId }: ListApiKeysQuery) {
    return this.apiKeys.find({
      select: { id: true, name: true, prefix: true, lastUsedAt: true, createdAt: true },
      where: { userId, revokedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
  }
}
