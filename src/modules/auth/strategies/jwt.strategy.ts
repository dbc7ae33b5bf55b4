import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Env } from '../../../config/env';
import type { AuthUser } from '../auth-user';
import { LiveUsers } from '../live-users';
import { accessTokenKey } from '../secrets';
import type { AccessClaims } from '../token-issuer';

/**
 * `Authorization: Bearer <jwt>`: a signed, unexpired access token of a user who still exists (LiveUsers: a
 * primary-key lookup at most every 2 s per user and process).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: ConfigService<Env, true>,
    private readonly liveUsers: LiveUsers,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: accessTokenKey(config.get('JWT_ACCESS_SECRET', { infer: true })) as unknown as Buffer,
      algorithms: ['HS256'],
    });
  }

  async validate(claims: AccessClaims): Promise<AuthUser | false> {
    if (claims.typ !== 'access' || !(await this.liveUsers.exists(claims.sub))) return false;
    return { id: claims.sub, email: claims.email, role: claims.role };
  }
}
