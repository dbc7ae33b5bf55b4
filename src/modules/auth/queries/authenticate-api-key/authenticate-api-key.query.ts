import { Query } from '@nestjs/cqrs';
import type { AuthenticatedUser } from '../../auth-user';

/** The owner of an active API key (with the key's id), or undefined. */
export class AuthenticateApiKeyQuery extends Query<AuthenticatedUser | undefined> {
  constructor(readonly key: string) {
    super();
  }
}
