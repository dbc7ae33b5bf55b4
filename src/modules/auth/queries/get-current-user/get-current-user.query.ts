import { Query } from '@nestjs/cqrs';
import type { UserResponseDto } from '../../dto/auth.response.dto';

export class GetCurrentUserQuery extends Query<UserResponseDto> {
  constructor(readonly userId: string) {
    super();
  }
}
