import { Logger } from '@nestjs/common';
import { fake } from '@app/testing/fake';
import { DataSource, IsNull } from 'typeorm';
import type { CredentialRevocations } from '../../credential-revocations';
import { RefreshTokenEntity } from '../../entities/refresh-token.entity';
import { UserEntity } from '../../entities/user.entity';
import type { TokenIssuer } from '../../token-issuer';
import { RefreshTokensCommand } from './refresh-tokens.command';
import { RefreshTokensHandler } from './refresh-tokens.handler';

Logger.overrideLogger(false);

describe(RefreshTokensHandler.name, () => {
  const claims = { sub: 'u1', jti: 'j1', fam: 'f1', typ: 'refresh' };
  const pair = { accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900 };
  const user = { id: 'u1', email: 'ada@example.com', role: 'user', passwordHash: 'h' };
  const tx = { update: jest.fn(), findOneBy: jest.fn() };
  const tokenRepo = { update: jest.fn() };
  const db = {
    transaction: jest.fn((work: (manager: typeof tx) => Promise<unknown>) => work(tx)),
    getRepository: jest.fn(() => tokenRepo),
  };
  const tokens = { verifyRefresh: jest.fn(), issue: jest.fn(() => Promise.resolve(pair)) };
  const revocations = { publish: jest.fn(() => Promise.resolve()) };
  const sut = new RefreshTokensHandler(
    fake<DataSource>(db),
    fake<TokenIssuer>(tokens),
    fake<CredentialRevocations>(revocations),
  );
  const invalid = { name: 'AppError', code: 'INVALID_REFRESH_TOKEN', status: 401 };

  beforeEach(() => {
    jest.clearAllMocks();
    tokens.verifyRefresh.mockResolvedValue(claims);
    tx.update.mockResolvedValue({ affected: 1 });
    tx.findOneBy.mockResolvedValue(user);
  });

  it('refuses a token that does not verify, without touching the database', async () => {
    tokens.verifyRefresh.mockResolvedValue(undefined);
    await expect(sut.execute(new RefreshTokensCommand('junk'))).rejects.toMatchObject(invalid);
    expect(tokens.verifyRefresh).toHaveBeenCalledWith('junk');
    expect(db.transaction).not.toHaveBeenCalled();
  });

  it('revokes the family when the token was already spent, and announces it', async () => {
    tx.update.mockResolvedValue({ affected: 0 });
    await expect(sut.execute(new RefreshTokensCommand('spent'))).rejects.toMatchObject(invalid);
    expect(db.getRepository).toHaveBeenCalledWith(RefreshTokenEntity);
    expect(tokenRepo.update).toHaveBeenCalledWith(
      { familyId: 'f1', revokedAt: IsNull() },
      { revokedAt: expect.any(Date) },
    );
    expect(revocations.publish).toHaveBeenCalledWith({ kind: 'family', id: 'f1' });
    expect(tokens.issue).not.toHaveBeenCalled();
  });

  it('spends the token and issues its child in the same family', async () => {
    await expect(sut.execute(new RefreshTokensCommand('good'))).resolves.toBe(pair);
    expect(tx.update).toHaveBeenCalledWith(
      RefreshTokenEntity,
      { id: 'j1', usedAt: IsNull(), revokedAt: IsNull() },
      { usedAt: expect.any(Date) },
    );
    expect(tx.findOneBy).toHaveBeenCalledWith(UserEntity, { id: 'u1' });
    expect(tokens.issue).toHaveBeenCalledWith(
      { id: 'u1', email: 'ada@example.com', role: 'user' },
      { familyId: 'f1', parentId: 'j1' },
      tx,
    );
    expect(tokenRepo.update).not.toHaveBeenCalled();
    expect(revocations.publish).not.toHaveBeenCalled();
  });

  it('refuses a token whose user no longer exists', async () => {
    tx.findOneBy.mockResolvedValue(null);
    await expect(sut.execute(new RefreshTokensCommand('good'))).rejects.toMatchObject(invalid);
    expect(tokens.issue).not.toHaveBeenCalled();
  });
});
