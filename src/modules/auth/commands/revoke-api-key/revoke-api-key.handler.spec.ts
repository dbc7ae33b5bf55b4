import { fake } from '@app/testing/fake';
import { IsNull, Repository } from 'typeorm';
import type { CredentialRevocations } from '../../credential-revocations';
import type { ApiKeyEntity } from '../../entities/api-key.entity';
import { RevokeApiKeyCommand } from './revoke-api-key.command';
import { RevokeApiKeyHandler } from './revoke-api-key.handler';

describe(RevokeApiKeyHandler.name, () => {
  const apiKeys = { update: jest.fn() };
  const revocations = { publish: jest.fn(() => Promise.resolve()) };
  const sut = new RevokeApiKeyHandler(
    fake<Repository<ApiKeyEntity>>(apiKeys),
    fake<CredentialRevocations>(revocations),
  );

  beforeEach(() => jest.clearAllMocks());

  it("revokes only the caller's live key, and announces it", async () => {
    apiKeys.update.mockResolvedValue({ affected: 1 });
    await sut.execute(new RevokeApiKeyCommand('u1', 'k1'));
    expect(apiKeys.update).toHaveBeenCalledWith(
      { id: 'k1', userId: 'u1', revokedAt: IsNull() },
      { revokedAt: expect.any(Date) },
    );
    expect(revocations.publish).toHaveBeenCalledWith({ kind: 'api-key', id: 'k1' });
  });

  it('answers API_KEY_NOT_FOUND when no live key of the caller matched', async () => {
    apiKeys.update.mockResolvedValue({ affected: 0 });
    await expect(sut.execute(new RevokeApiKeyCommand('u1', 'k1'))).rejects.toMatchObject({
      name: 'AppError',
      code: 'API_KEY_NOT_FOUND',
      status: 404,
    });
    expect(revocations.publish).not.toHaveBeenCalled();
  });
});
