import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { normalizeIp } from '@nestjs/throttler/dist/ip';
import type { NextFunction, Request, Response } from 'express';
import { createHmac, randomBytes } from 'node:crypto';
import { ExpressAdapter } from '@bull-board/express';
import { AppError } from '@app/common/errors/app-error';
import { isBackendUnavailable, toErrorResponse } from '@app/common/http/error-response';
import type { AuthUser } from '../auth/auth-user';
import { LoginCommand } from '../auth/commands/login/login.command';
import { credentialsFrom } from '../auth/credentials';
import { passwordGuessKey } from '../auth/password-guesses';
import { AuthenticateTokenQuery } from '../auth/queries/authenticate-token/authenticate-token.query';

/** Where bull-board is served (outside /api: it is an HTML app, not part of the REST API). */
export const QUEUE_BOARD_ROUTE = '/admin/queues';

export interface QueueBoardAuthOptions {
  queries: QueryBus;
  commands: CommandBus;
  /** The auth rate limit's store: password guesses here count like those at /api/auth/login. */
  throttler: ThrottlerStorage;
  loginsPerMinute: number;
}

const REALM = 'Basic realm="Conveyor queues", charset="UTF-8"';
const MAX_REMEMBERED_LOGINS = 100;
/** A Basic sign-in is remembered at most this long (and never past its access token's lifetime). */
const LOGIN_MEMORY_MS = 15 * 60_000;

/**
 * Express middleware in front of bull-board, which is an Express router rather than Nest routes: the global
 * AuthGuard and the envelope never see it, so the check is here. Admins pass; anyone else gets the error
 * envelope (401 with a Basic challenge, so a browser asks; 403 for a non-admin). The browser sends Basic
 * credentials again with every request of the page, so a verified sign-in is remembered for a while rather
 * than paying a password hash (and a login) per asset and poll.
 */
export function queueBoardAuth({ queries, commands, throttler, loginsPerMinute }: QueueBoardAuthOptions) {
  const remembered = new Map<string, { user: AuthUser; until: number }>();
  // Keyed by an HMAC of the credentials under a per-process secret: the password itself is never kept.
  const pepper = randomBytes(32);

  async function signIn(req: Request, res: Response, email: string, password: string) {
    const key = createHmac('sha256', pepper).update(`${email}\n${password}`).digest('base64url');
    const known = remembered.get(key);
    if (known && known.until > Date.now()) return known.user;
    remembered.delete(key);

    const ip = normalizeIp(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    const limit = await throttler.increment(passwordGuessKey(ip), 60_000, loginsPerMinute, 60_000, 'default');
    if (limit.isBlocked) {
      res.setHeader('Retry-After', Math.max(1, limit.timeToBlockExpire));
      throw new AppError('RATE_LIMITED', 'Too many sign-in attempts. Try again later.');
    }
    let accessToken: string;
    let expiresIn: number;
    try {
      ({ accessToken, expiresIn } = await commands.execute(new LoginCommand(email, password)));
    } catch (error) {
      if (error instanceof AppError && error.code === 'INVALID_CREDENTIALS') return undefined;
      throw error;
    }
    const user = await queries.execute(new AuthenticateTokenQuery(accessToken));
    if (user) {
      if (remembered.size >= MAX_REMEMBERED_LOGINS) remembered.delete(remembered.keys().next().value!);
      remembered.set(key, { user, until: Date.now() + Math.min(LOGIN_MEMORY_MS, expiresIn * 1000) });
    }
    return user;
  }

  return async (req: Request, res: Response, next: NextFunction) => {
    // `X-API-Key: ck_…`, `Authorization: Bearer <access token | ck_…>` or `Basic` with the admin's email and
    // password (or any user name and an API key as the password).
    const credentials = credentialsFrom(
      { apiKey: req.headers['x-api-key'], authorization: req.headers.authorization },
      { basic: true },
    );
    const user = !credentials
      ? undefined
      : 'token' in credentials
        ? await queries.execute(new AuthenticateTokenQuery(credentials.token))
        : await signIn(req, res, credentials.email, credentials.password);
    if (!user) {
      res.setHeader('WWW-Authenticate', REALM);
      throw new AppError('UNAUTHORIZED', 'Invalid or missing credentials');
    }
    if (user.role !== 'admin') throw new AppError('FORBIDDEN', 'This needs the admin role');
    next();
  };
}

/**
 * bull-board's Express adapter, answering a lost Redis like the rest of the API (503 SERVICE_UNAVAILABLE in the
 * error envelope) instead of bull-board's 500; other errors keep bull-board's own answer.
 */
export class QueueBoardAdapter extends ExpressAdapter {
  setErrorHandler(handler: Parameters<ExpressAdapter['setErrorHandler']>[0]) {
    return super.setErrorHandler((error) => {
      if (!isBackendUnavailable(error)) return handler(error);
      const { status, body } = toErrorResponse(error, '');
      // bull-board's type lists the statuses it answers itself; Express sends any.
      return { status: status as 500, body };
    });
  }
}
