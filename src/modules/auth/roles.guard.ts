import { CanActivate, ExecutionContext } from '@nestjs/common';
import { AppError } from '@app/common/errors/app-error';
import type { AuthUser } from './auth-user';
import type { Role } from './entities/user.entity';

/**
 * Admits callers whose role is one of `roles`. Runs after the global AuthGuard, which has already answered
 * 401 to a caller without credentials (a @Public route has no user: 401 here too); any other role is 403.
 * Applied through @Roles(), never on its own.
 */
export class RolesGuard implements CanActivate {
  constructor(private readonly roles: readonly Role[]) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const { user } = context.switchToHttp().getRequest<{ user?: AuthUser }>();
    if (!user) throw new AppError('UNAUTHORIZED', 'Invalid or missing credentials');
    if (!this.roles.includes(user.role))
      throw new AppError('FORBIDDEN', `This needs the ${this.roles.join(' or ')} role`);
    return true;
  }
}
