import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { AppError } from '@app/common/errors/app-error';
import { IsNull, Repository } from 'typeorm';
import { CredentialRevocations } from '../../credential-revocations';
import { ApiKeyEntity } from '../../entities/api-key.entity';
import { RevokeApiKeyCommand } from './revoke-api-key.command';

/**
 * Keys are looked up on every request, so a revoked key is refused from the next request on; its open
 * sockets, on any API instance, end when the revocation is published.
 */
@CommandHandler(RevokeApiKeyCommand)
export class RevokeApiKeyHandler implements ICommandHandler<RevokeApiKeyCommand> {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly apiKeys: Repository<ApiKeyEntity>,
    private readonly revocations: CredentialRevocations,
  ) {}

  async execute({ userId, apiKeyId }: RevokeApiKeyCommand) {
    const result = await this.apiKeys.update(
      { id: apiKeyId, userId, revokedAt: IsNull() },
      { revokedAt: new Date() },
    );
    if (result.affected !== 1) throw new AppError('API_KEY_NOT_FOUND', 'API key not found');
    await this.revocations.publish({ kind: 'api-key', id: apiKeyId });
  }
}
