import { fake } from '@app/testing/fake';
import { IsNull, Repository } from 'typeorm';
import type { RefreshTokenEntity } from '../../entities/refresh-token.entity';
import type { TokenIssuer } from '../../token-issuer';
import { LogoutCommand } from './logout.command';
import { LogoutHandler } from './logout.handler';

describe(LogoutHandler.name, () => {
  const refreshTokens = { update: jest.fn(() => Promise.resolve({ affected: 2 })) };
  const tokens = { verifyRefresh: jest.fn() };
  const sut = new LogoutHandler(
    fake<Repository<RefreshTokenEntity>>(refreshTokens),
    fake<TokenIssuer>(tokens),
  );

  beforeEach(() => jest.clearAllMocks());

  it('refuses a token that does not verify', async () => {
    tokens.verifyRefresh.mockResolvedValue(undefined);
    await expect(sut.execute(new LogoutCommand('junk'))).rejects.toMatchObject({
      name: 'AppError',
      code: 'INVALID_REFRESH_TOKEN',
    });
    expect(refreshTokens.update).not.toHaveBeenCalled();
  });

  it("revokes every live token of the token's family", async () => {
    tokens.verifyRefresh.mockResolvedValue({ sub: 'u1', jti: 'j2', fam: 'f1', typ: 'refresh' });
    await sut.execute(new LogoutCommand('good'));
    expect(tokens.verifyRefresh).toHaveBeenCalledWith('good');
    expect(refreshTokens.update).toHaveBeenCalledWith(
      { familyId: 'f1', revokedAt: IsNull() },
      { revokedAt: expect.any(Date) },
    );
  });
});
