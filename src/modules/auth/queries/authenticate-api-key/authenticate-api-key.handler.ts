import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, Repository } from 'typeorm';
import { ApiKeyEntity } from '../../entities/api-key.entity';
import { hashApiKey } from '../../secrets';
import { AuthenticateApiKeyQuery } from './authenticate-api-key.query';

/** lastUsedAt is refreshed at most once a minute per key, so busy keys do not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

@QueryHandler(AuthenticateApiKeyQuery)
export class AuthenticateApiKeyHandler implements IQueryHandler<AuthenticateApiKeyQuery> {
  constructor(@InjectRepository(ApiKeyEntity) private readonly apiKeys: Repository<ApiKeyEntity>) {}

  async execute({ key }: AuthenticateApiKeyQuery) {
    if (!key.startsWith('ck_') || key.length > 100) return undefined;
    const apiKey = await this.apiKeys.findOne({
      where: { keyHash: hashApiKey(key), revokedAt: IsNull() },
      relations: { user: true },
    });
    if (!apiKey?.user) return undefined;
    const now = Date.now();
    if (!apiKey.lastUsedAt || now - apiKey.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.apiKeys.update(
        [
          { id: apiKey.id, lastUsedAt: IsNull() },
          { id: apiKey.id, lastUsedAt: LessThan(new Date(now - LAST_USED_RESOLUTION_MS)) },
        ],
        { lastUsedAt: new Date(now) },
      );
    }
    return { id: apiKey.user.id, email: apiKey.user.email, role: apiKey.user.role, apiKeyId: apiKey.id };
  }
}
