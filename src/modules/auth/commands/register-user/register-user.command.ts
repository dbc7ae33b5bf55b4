import { Command } from '@nestjs/cqrs';
import type { RegisteredUserResponseDto } from '../../dto/auth.response.dto';

export class RegisterUserCommand extends Command<RegisteredUserResponseDto> {
  constructor(
    readonly email: string,
    readonly password: string,
    readonly role: 'user' | 'admin' = 'user',
  ) {
    super();
  }
}
