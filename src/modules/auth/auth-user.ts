import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Role } from './entities/user.entity';

/** The caller, as the JWT or API-key strategy put it on the request. */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
}

/**
 * A user with the credential that authenticated them, for callers that must hear of its revocation
 * (sockets): the API key's id, or the refresh family (`fid`) of the login an access token came from.
 */
export interface AuthenticatedUser extends AuthUser {
  apiKeyId?: string;
  familyId?: string;
}

export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<{ user: AuthUser }>().user,
);

export const IS_PUBLIC = 'conveyor:public';

/** Opens a route to callers without credentials (the auth guard is global). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
