import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Env } from '../../../config/env';
import type { AuthUser } from '../auth-user';
import { accessTokenKey } from '../secrets';
import type { AccessClaims } from '../token-issuer';

/** `Authorization: Bearer <jwt>`: a signed, unexpired access token. Stateless: no database read. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: ConfigService<Env, true>) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: accessTokenKey(config.get('JWT_ACCESS_SECRET', { infer: true })) as unknown as Buffer,
      algorithms: ['HS256'],
    });
  }

  validate(claims: AccessClaims): AuthUser | false {
    if (claims.typ !== 'access') return false;
    return { id: claims.sub, email: claims.email, role: claims.role };
  }
}
