import { Query } from '@nestjs/cqrs';
import type { AuthenticatedUser } from '../../auth-user';

/**
 * Who an access token or an API key (`ck_…`) belongs to, with the credential (the key's id or the token's
 * refresh family), or undefined: for callers outside HTTP (sockets, the queue board).
 */
export class AuthenticateTokenQuery extends Query<AuthenticatedUser | undefined> {
  constructor(readonly token: string) {
    super();
  }
}
