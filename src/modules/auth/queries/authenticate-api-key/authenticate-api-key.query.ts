import { Query } from '@nestjs/cqrs';
import type { AuthUser } from '../../auth-user';

/** The owner of an active API key, or undefined. */
export class AuthenticateApiKeyQuery extends Query<AuthUser | undefined> {
  constructor(readonly key: string) {
    super();
  }
}
