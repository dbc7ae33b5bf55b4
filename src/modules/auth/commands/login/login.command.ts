import { Command } from '@nestjs/cqrs';
import type { TokenPair } from '../../token-issuer';

export class LoginCommand extends Command<TokenPair> {
  constructor(
    readonly email: string,
    readonly password: string,
  ) {
    super();
  }
}
