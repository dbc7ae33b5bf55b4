import { UseGuards } from '@nestjs/common';
import type { Role } from './entities/user.entity';
import { RolesGuard } from './roles.guard';

/**
 * Only callers with one of these roles reach the route (or every route of the controller): others get 403
 * `FORBIDDEN`, callers without credentials 401 (the global AuthGuard). `@Roles('admin')`.
 */
export const Roles = (...roles: [Role, ...Role[]]) => UseGuards(new RolesGuard(roles));
