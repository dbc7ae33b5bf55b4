import { AppError } from '@app/common/errors/app-error';

/**
 * A write that refers to a user who is no longer there: the account was deleted after its credentials were
 * checked (another instance's cache, or a delete racing the request). The credentials are what is wrong, so
 * the answer is the 401 those credentials now get everywhere, not a 500.
 */
export function deletedOwnerError(error: unknown): AppError | undefined {
  // TypeORM wraps the driver's error; the hot path's prepared statements throw node-postgres' own.
  type PgError = { code?: unknown; detail?: unknown; driverError?: PgError };
  const driver = (error as PgError | null)?.driverError ?? (error as PgError | null);
  if (driver?.code !== '23503' || typeof driver.detail !== 'string') return undefined;
  if (!/^Key \(user_id\)=\(.*\) is not present in table "users"\.$/.test(driver.detail)) return undefined;
  return new AppError('UNAUTHORIZED', 'Credentials revoked: the account no longer exists.');
}
