import type { ConfigService } from '@nestjs/config';
import type { QueryBus } from '@nestjs/cqrs';
import { JwtService } from '@nestjs/jwt';
import { fake } from '@app/testing/fake';
import type { Env } from '../../../../config/env';
import type { LiveUsers } from '../../live-users';
import { AuthenticateApiKeyQuery } from '../authenticate-api-key/authenticate-api-key.query';
import { AuthenticateTokenHandler } from './authenticate-token.handler';
import { AuthenticateTokenQuery } from './authenticate-token.query';

describe(AuthenticateTokenHandler.name, () => {
  const secret = 'access-secret-0123456789';
  const jwt = new JwtService();
  const queries = { execute: jest.fn() };
  const liveUsers = { exists: jest.fn((id: string) => Promise.resolve(id === 'u1')) };
  const config = { get: (name: keyof Env) => (name === 'JWT_ACCESS_SECRET' ? secret : undefined) };
  const sut = new AuthenticateTokenHandler(
    jwt,
    fake<ConfigService<Env, true>>(config),
    fake<QueryBus>(queries),
    fake<LiveUsers>(liveUsers),
  );
  const claims = { sub: 'u1', email: 'ada@example.com', role: 'user' };

  beforeEach(() => jest.clearAllMocks());

  it('returns the user of a valid access token', async () => {
    const token = await jwt.signAsync({ ...claims, typ: 'access' }, { secret, expiresIn: 60 });
    await expect(sut.execute(new AuthenticateTokenQuery(token))).resolves.toEqual({
      id: 'u1',
      email: 'ada@example.com',
      role: 'user',
    });
    expect(queries.execute).not.toHaveBeenCalled();
  });

  it("returns the token's refresh family (fid) with the user", async () => {
    const token = await jwt.signAsync({ ...claims, fid: 'f1', typ: 'access' }, { secret, expiresIn: 60 });
    await expect(sut.execute(new AuthenticateTokenQuery(token))).resolves.toEqual({
      id: 'u1',
      email: 'ada@example.com',
      role: 'user',
      familyId: 'f1',
    });
  });

  it('refuses a refresh token signed with the same secret', async () => {
    const token = await jwt.signAsync({ ...claims, typ: 'refresh' }, { secret, expiresIn: 60 });
    await expect(sut.execute(new AuthenticateTokenQuery(token))).resolves.toBeUndefined();
  });

  it.each([
    [
      'another secret',
      () => jwt.signAsync({ ...claims, typ: 'access' }, { secret: 'another-secret-0123456789' }),
    ],
    ['an expired token', () => jwt.signAsync({ ...claims, typ: 'access' }, { secret, expiresIn: -10 })],
    ['another algorithm', () => jwt.signAsync({ ...claims, typ: 'access' }, { secret, algorithm: 'HS512' })],
    ['no token at all', () => Promise.resolve('not-a-jwt')],
  ])('refuses %s', async (_, token) => {
    await expect(sut.execute(new AuthenticateTokenQuery(await token()))).resolves.toBeUndefined();
  });

  it('hands an API key to AuthenticateApiKeyQuery', async () => {
    const user = { id: 'u2', email: 'bob@example.com', role: 'admin' };
    queries.execute.mockResolvedValueOnce(user);
    await expect(sut.execute(new AuthenticateTokenQuery('ck_abc'))).resolves.toBe(user);
    expect(queries.execute).toHaveBeenCalledWith(new AuthenticateApiKeyQuery('ck_abc'));
  });

  it('refuses the access token of a user who no longer exists', async () => {
    const token = await jwt.signAsync({ ...claims, sub: 'gone', typ: 'access' }, { secret, expiresIn: 60 });
    await expect(sut.execute(new AuthenticateTokenQuery(token))).resolves.toBeUndefined();
  });

  it('lets an unreachable database through (a 503), rather than calling the token bad', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    liveUsers.exists.mockRejectedValueOnce(down);
    const token = await jwt.signAsync({ ...claims, typ: 'access' }, { secret, expiresIn: 60 });
    await expect(sut.execute(new AuthenticateTokenQuery(token))).rejects.toBe(down);
  });
});
