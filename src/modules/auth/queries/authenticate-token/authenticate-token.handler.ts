import { ConfigService } from '@nestjs/config';
import { IQueryHandler, QueryBus, QueryHandler } from '@nestjs/cqrs';
import { JwtService } from '@nestjs/jwt';
import type { Env } from '../../../../config/env';
import type { AccessClaims } from '../../token-issuer';
import { AuthenticateApiKeyQuery } from '../authenticate-api-key/authenticate-api-key.query';
import { AuthenticateTokenQuery } from './authenticate-token.query';

@QueryHandler(AuthenticateTokenQuery)
export class AuthenticateTokenHandler implements IQueryHandler<AuthenticateTokenQuery> {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: ConfigService<Env, true>,
    private readonly queries: QueryBus,
  ) {}

  async execute({ token }: AuthenticateTokenQuery) {
    if (token.startsWith('ck_')) return this.queries.execute(new AuthenticateApiKeyQuery(token));
    try {
      const claims = await this.jwt.verifyAsync<AccessClaims>(token, {
        secret: this.config.get('JWT_ACCESS_SECRET', { infer: true }),
        algorithms: ['HS256'],
      });
      return claims.typ === 'access' ? { id: claims.sub, email: claims.email, role: claims.role } : undefined;
    } catch {
      return undefined;
    }
  }
}
