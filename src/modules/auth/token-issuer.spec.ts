import type { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { fake } from '@app/testing/fake';
import type { EntityManager, Repository } from 'typeorm';
import type { Env } from '../../config/env';
import { RefreshTokenEntity } from './entities/refresh-token.entity';
import { AccessClaims, RefreshClaims, TokenIssuer } from './token-issuer';

describe(TokenIssuer.name, () => {
  const settings: Partial<Env> = {
    JWT_ACCESS_SECRET: 'access-secret-0123456789',
    JWT_REFRESH_SECRET: 'refresh-secret-0123456789',
    JWT_ACCESS_EXPIRES_IN: '15m',
    JWT_REFRESH_EXPIRES_IN: '7d',
  };
  const config = { get: (name: keyof Env) => settings[name] };
  const jwt = new JwtService();
  const manager = { insert: jest.fn() };
  const sut = new TokenIssuer(
    jwt,
    fake<ConfigService<Env, true>>(config),
    fake<Repository<RefreshTokenEntity>>({ manager }),
  );
  const user = { id: 'u1', email: 'ada@example.com', role: 'user' } as const;
  const refreshSecret = { secret: settings.JWT_REFRESH_SECRET };

  beforeEach(() => jest.clearAllMocks());

  it('signs access claims with the access secret and its lifetime', async () => {
    const pair = await sut.issue(user);
    expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    const claims = await jwt.verifyAsync<AccessClaims & { iat: number; exp: number }>(pair.accessToken, {
      secret: settings.JWT_ACCESS_SECRET,
    });
    expect(claims).toMatchObject({ sub: 'u1', email: 'ada@example.com', role: 'user', typ: 'access' });
    expect(claims.exp - claims.iat).toBe(900);
    // The access token names the login (refresh family) it belongs to.
    expect(claims.fid).toBe((await sut.verifyRefresh(pair.refreshToken))!.fam);
  });

  it('records the refresh token it issues, starting a new family on login', async () => {
    const before = Date.now();
    const pair = await sut.issue(user);
    const claims = await sut.verifyRefresh(pair.refreshToken);
    expect(claims).toMatchObject({ sub: 'u1', typ: 'refresh' });
    expect(manager.insert).toHaveBeenCalledWith(RefreshTokenEntity, {
      id: claims!.jti,
      userId: 'u1',
      familyId: claims!.fam,
      parentId: null,
      expiresAt: expect.any(Date),
    });
    const { expiresAt } = manager.insert.mock.calls[0][1] as RefreshTokenEntity;
    expect(expiresAt.getTime() - before).toBeGreaterThanOrEqual(7 * 86_400_000);
    expect(expiresAt.getTime() - before).toBeLessThan(7 * 86_400_000 + 5_000);
  });

  it('extends the given family through the given manager', async () => {
    const tx = { insert: jest.fn() };
    const pair = await sut.issue(user, { familyId: 'f1', parentId: 'j0' }, fake<EntityManager>(tx));
    expect(await sut.verifyRefresh(pair.refreshToken)).toMatchObject({ fam: 'f1' });
    expect(jwt.decode(pair.accessToken)).toMatchObject({ fid: 'f1', typ: 'access' });
    expect(tx.insert).toHaveBeenCalledWith(
      RefreshTokenEntity,
      expect.objectContaining({ familyId: 'f1', parentId: 'j0' }),
    );
    expect(manager.insert).not.toHaveBeenCalled();
  });

  describe('verifyRefresh', () => {
    const refresh: RefreshClaims = { sub: 'u1', jti: 'j1', fam: 'f1', typ: 'refresh' };

    it('rejects a token signed with another secret', async () => {
      const token = await jwt.signAsync(refresh, { secret: 'another-secret-0123456789' });
      await expect(sut.verifyRefresh(token)).resolves.toBeUndefined();
    });

    it('rejects an expired token', async () => {
      const token = await jwt.signAsync(
        { ...refresh, exp: Math.floor(Date.now() / 1000) - 10 },
        refreshSecret,
      );
      await expect(sut.verifyRefresh(token)).resolves.toBeUndefined();
    });

    it('rejects access tokens, even when signed with the refresh secret', async () => {
      const { accessToken } = await sut.issue(user);
      await expect(sut.verifyRefresh(accessToken)).resolves.toBeUndefined();
      const forged = await jwt.signAsync({ sub: 'u1', typ: 'access' }, refreshSecret);
      await expect(sut.verifyRefresh(forged)).resolves.toBeUndefined();
    });

    it('rejects garbage', async () => {
      await expect(sut.verifyRefresh('not-a-jwt')).resolves.toBeUndefined();
    });
  });
});
