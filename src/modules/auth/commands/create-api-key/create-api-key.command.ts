import { Command } from '@nestjs/cqrs';
import type { ApiKeyCreatedResponseDto } from '../../dto/api-key.dto';

export class CreateApiKeyCommand extends Command<ApiKeyCreatedResponseDto> {
  constructor(
    readonly userId: string,
    readonly name: string,
  ) {
    super();
  }
}
