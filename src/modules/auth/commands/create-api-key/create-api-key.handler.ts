import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ApiKeyEntity } from '../../entities/api-key.entity';
import { newApiKey } from '../../secrets';
import { CreateApiKeyCommand } from './create-api-key.command';

@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyHandler implements ICommandHandler<CreateApiKeyCommand> {
  constructor(@InjectRepository(ApiKeyEntity) private readonly apiKeys: Repository<ApiKeyEntity>) {}

  async execute({ userId, name }: CreateApiKeyCommand) {
    const { key, prefix, keyHash } = newApiKey();
    const saved = await this.apiKeys.save(this.apiKeys.create({ userId, name, prefix, keyHash }));
    return { id: saved.id, name: saved.name, prefix: saved.prefix, key, createdAt: saved.createdAt };
  }
}
