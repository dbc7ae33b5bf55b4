import type { KeyObject } from 'node:crypto';
import { isBackendUnavailable } from '@app/common/http/error-response';
import { ConfigService } from '@nestjs/config';
import { IQueryHandler, QueryBus, QueryHandler } from '@nestjs/cqrs';
import { JwtService } from '@nestjs/jwt';
import type { Env } from '../../../../config/env';
import { LiveUsers } from '../../live-users';
import { accessTokenKey } from '../../secrets';
import type { AccessClaims } from '../../token-issuer';
import { AuthenticateApiKeyQuery } from '../authenticate-api-key/authenticate-api-key.query';
import { AuthenticateTokenQuery } from './authenticate-token.query';

/** An access token or an API key (`ck_…`) → its user, or undefined: for the gateway and the queue board. */
@QueryHandler(AuthenticateTokenQuery)
export class AuthenticateTokenHandler implements IQueryHandler<AuthenticateTokenQuery> {
  private readonly key: KeyObject;

  constructor(
    private readonly jwt: JwtService,
    config: ConfigService<Env, true>,
    private readonly queries: QueryBus,
    private readonly liveUsers: LiveUsers,
  ) {
    this.key = accessTokenKey(config.get('JWT_ACCESS_SECRET', { infer: true }));
  }

  async execute({ token }: AuthenticateTokenQuery) {
    if (token.startsWith('ck_')) return this.queries.execute(new AuthenticateApiKeyQuery(token));
    try {
      const claims = await this.jwt.verifyAsync<AccessClaims>(token, {
        secret: this.key as unknown as Buffer,
        algorithms: ['HS256'],
      });
      if (claims.typ !== 'access' || !(await this.liveUsers.exists(claims.sub))) return undefined;
      // Tokens issued before `fid` existed name no family: they end at expiry or with their user.
      const familyId = typeof claims.fid === 'string' ? claims.fid : undefined;
      return { id: claims.sub, email: claims.email, role: claims.role, ...(familyId ? { familyId } : {}) };
    } catch (error) {
      // A database that cannot say whether the user exists is a 503, not a bad token.
      if (isBackendUnavailable(error)) throw error;
      return undefined;
    }
  }
}
