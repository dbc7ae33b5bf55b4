import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Role } from './entities/user.entity';

/** The caller, as the JWT or API-key strategy put it on the request. */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
}

export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<{ user: AuthUser }>().user,
);

export const IS_PUBLIC = 'conveyor:public';

/** Opens a route to callers without credentials (the auth guard is global). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
