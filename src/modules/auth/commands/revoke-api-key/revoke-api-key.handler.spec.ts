import { fake } from '@app/testing/fake';
import { IsNull, Repository } from 'typeorm';
import type { ApiKeyEntity } from '../../entities/api-key.entity';
import { RevokeApiKeyCommand } from './revoke-api-key.command';
import { RevokeApiKeyHandler } from './revoke-api-key.handler';

describe(RevokeApiKeyHandler.name, () => {
  const apiKeys = { update: jest.fn() };
  const sut = new RevokeApiKeyHandler(fake<Repository<ApiKeyEntity>>(apiKeys));

  it("revokes only the caller's live key", async () => {
    apiKeys.update.mockResolvedValue({ affected: 1 });
    await sut.execute(new RevokeApiKeyCommand('u1', 'k1'));
    expect(apiKeys.update).toHaveBeenCalledWith(
      { id: 'k1', userId: 'u1', revokedAt: IsNull() },
      { revokedAt: expect.any(Date) },
    );
  });

  it('answers API_KEY_NOT_FOUND when no live key of the caller matched', async () => {
    apiKeys.update.mockResolvedValue({ affected: 0 });
    await expect(sut.execute(new RevokeApiKeyCommand('u1', 'k1'))).rejects.toMatchObject({
      name: 'AppError',
      code: 'API_KEY_NOT_FOUND',
      status: 404,
    });
  });
});
