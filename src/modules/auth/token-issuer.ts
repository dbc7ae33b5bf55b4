import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';
import { durationSeconds, Env } from '../../config/env';
import type { AuthUser } from './auth-user';
import { RefreshTokenEntity } from './entities/refresh-token.entity';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface AccessClaims {
  sub: string;
  email: string;
  role: AuthUser['role'];
  /** The refresh family (the login) the token was issued for: a logout or a reuse revokes it. */
  fid: string;
  typ: 'access';
}

export interface RefreshClaims {
  sub: string;
  jti: string;
  fam: string;
  typ: 'refresh';
}

/** Signs access tokens and records each refresh token it issues (login starts a family, refresh extends it). */
@Injectable()
export class TokenIssuer {
  private readonly accessTtl: number;
  private readonly refreshTtl: number;

  constructor(
    private readonly jwt: JwtService,
    private readonly config: ConfigService<Env, true>,
    @InjectRepository(RefreshTokenEntity) private readonly refreshTokens: Repository<RefreshTokenEntity>,
  ) {
    this.accessTtl = durationSeconds(config.get('JWT_ACCESS_EXPIRES_IN', { infer: true }));
    this.refreshTtl = durationSeconds(config.get('JWT_REFRESH_EXPIRES_IN', { infer: true }));
  }

  async issue(
    user: AuthUser,
    family: { familyId: string; parentId: string | null } = { familyId: randomUUID(), parentId: null },
    manager: EntityManager = this.refreshTokens.manager,
  ): Promise<TokenPair> {
    const jti = randomUUID();
    await manager.insert(RefreshTokenEntity, {
      id: jti,
      userId: user.id,
      familyId: family.familyId,
      parentId: family.parentId,
      expiresAt: new Date(Date.now() + this.refreshTtl * 1000),
    });
    const access: AccessClaims = {
      sub: user.id,
      email: user.email,
      role: user.role,
      fid: family.familyId,
      typ: 'access',
    };
    const refresh: RefreshClaims = { sub: user.id, jti, fam: family.familyId, typ: 'refresh' };
    return {
      accessToken: await this.jwt.signAsync(access, {
        secret: this.config.get('JWT_ACCESS_SECRET', { infer: true }),
        expiresIn: this.accessTtl,
      }),
      refreshToken: await this.jwt.signAsync(refresh, {
        secret: this.config.get('JWT_REFRESH_SECRET', { infer: true }),
        expiresIn: this.refreshTtl,
      }),
      tokenType: 'Bearer',
      expiresIn: this.accessTtl,
    };
  }

  /** The claims of a genuine, unexpired refresh token, or undefined. */
  async verifyRefresh(token: string): Promise<RefreshClaims | undefined> {
    try {
      const claims = await this.jwt.verifyAsync<RefreshClaims>(token, {
        secret: this.config.get('JWT_REFRESH_SECRET', { infer: true }),
      });
      return claims.typ === 'refresh' ? claims : undefined;
    } catch {
      return undefined;
    }
  }
}
