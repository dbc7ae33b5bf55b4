import { fake } from '@app/testing/fake';
import { IsNull, Repository } from 'typeorm';
import type { CredentialRevocations } from '../../credential-revocations';
import type { RefreshTokenEntity } from '../../entities/refresh-token.entity';
import type { TokenIssuer } from '../../token-issuer';
import { LogoutCommand } from './logout.command';
import { LogoutHandler } from './logout.handler';

describe(LogoutHandler.name, () => {
  const refreshTokens = { update: jest.fn(() => Promise.resolve({ affected: 2 })) };
  const tokens = { verifyRefresh: jest.fn() };
  const revocations = { publish: jest.fn(() => Promise.resolve()) };
  const sut = new LogoutHandler(
    fake<Repository<RefreshTokenEntity>>(refreshTokens),
    fake<TokenIssuer>(tokens),
    fake<CredentialRevocations>(revocations),
  );

  beforeEach(() => jest.clearAllMocks());

  it('refuses a token that does not verify', async () => {
    tokens.verifyRefresh.mockResolvedValue(undefined);
    await expect(sut.execute(new LogoutCommand('junk'))).rejects.toMatchObject({
      name: 'AppError',
      code: 'INVALID_REFRESH_TOKEN',
    });
    expect(refreshTokens.update).not.toHaveBeenCalled();
    expect(revocations.publish).not.toHaveBeenCalled();
  });

  it("revokes every live token of the token's family, then announces the family's revocation", async () => {
    tokens.verifyRefresh.mockResolvedValue({ sub: 'u1', jti: 'j2', fam: 'f1', typ: 'refresh' });
    await sut.execute(new LogoutCommand('good'));
    expect(tokens.verifyRefresh).toHaveBeenCalledWith('good');
    expect(refreshTokens.update).toHaveBeenCalledWith(
      { familyId: 'f1', revokedAt: IsNull() },
      { revokedAt: expect.any(Date) },
    );
    expect(revocations.publish).toHaveBeenCalledWith({ kind: 'family', id: 'f1' });
    expect(revocations.publish.mock.invocationCallOrder[0]).toBeGreaterThan(
      refreshTokens.update.mock.invocationCallOrder[0],
    );
  });
});
