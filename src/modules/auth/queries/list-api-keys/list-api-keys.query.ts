import { Query } from '@nestjs/cqrs';
import type { ApiKeyResponseDto } from '../../dto/api-key.dto';

export class ListApiKeysQuery extends Query<ApiKeyResponseDto[]> {
  constructor(readonly userId: string) {
    super();
  }
}
