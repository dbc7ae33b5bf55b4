import { Command } from '@nestjs/cqrs';
import type { TokenPair } from '../../token-issuer';

export class RefreshTokensCommand extends Command<TokenPair> {
  constructor(readonly refreshToken: string) {
    super();
  }
}
