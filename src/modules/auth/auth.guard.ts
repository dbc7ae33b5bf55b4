import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard as PassportGuard } from '@nestjs/passport';
import { AppError } from '@app/common/errors/app-error';
import { IS_PUBLIC } from './auth-user';

/** Global guard: an access token or an API key, unless the route is @Public(). */
@Injectable()
export class AuthGuard extends PassportGuard(['jwt', 'api-key']) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]))
      return true;
    return super.canActivate(context);
  }

  override handleRequest<T>(error: unknown, user: T): T {
    if (error) throw error as Error;
    if (!user) throw new AppError('UNAUTHORIZED', 'Invalid or missing credentials');
    return user;
  }
}
