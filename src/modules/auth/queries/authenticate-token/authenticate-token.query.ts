import { Query } from '@nestjs/cqrs';
import type { AuthUser } from '../../auth-user';

/** Who an access token or an API key (`ck_…`) belongs to, or undefined: for callers outside HTTP (sockets). */
export class AuthenticateTokenQuery extends Query<AuthUser | undefined> {
  constructor(readonly token: string) {
    super();
  }
}
