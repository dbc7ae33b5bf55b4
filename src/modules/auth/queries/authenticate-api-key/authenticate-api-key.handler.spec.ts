import { fake } from '@app/testing/fake';
import { IsNull, Repository } from 'typeorm';
import type { ApiKeyEntity } from '../../entities/api-key.entity';
import { hashApiKey, newApiKey } from '../../secrets';
import { AuthenticateApiKeyQuery } from './authenticate-api-key.query';
import { AuthenticateApiKeyHandler } from './authenticate-api-key.handler';

describe(AuthenticateApiKeyHandler.name, () => {
  const apiKeys = { findOne: jest.fn(), update: jest.fn() };
  const sut = new AuthenticateApiKeyHandler(fake<Repository<ApiKeyEntity>>(apiKeys));
  const { key } = newApiKey();
  const user = { id: 'u1', email: 'ada@example.com', role: 'user', passwordHash: 'h' };
  const found = (lastUsedAt: Date | null) => ({ id: 'k1', user, lastUsedAt });

  beforeEach(() => jest.resetAllMocks());

  it.each([['jwt.looking.token'], ['ck_' + 'a'.repeat(98)]])(
    'ignores %s without a lookup',
    async (candidate) => {
      await expect(sut.execute(new AuthenticateApiKeyQuery(candidate))).resolves.toBeUndefined();
      expect(apiKeys.findOne).not.toHaveBeenCalled();
    },
  );

  it('answers undefined for an unknown or revoked key', async () => {
    apiKeys.findOne.mockResolvedValue(null);
    await expect(sut.execute(new AuthenticateApiKeyQuery(key))).resolves.toBeUndefined();
    expect(apiKeys.findOne).toHaveBeenCalledWith({
      where: { keyHash: hashApiKey(key), revokedAt: IsNull() },
      relations: { user: true },
    });
    expect(apiKeys.update).not.toHaveBeenCalled();
  });

  it('answers the owner with the key id, and stamps a never-used key', async () => {
    apiKeys.findOne.mockResolvedValue(found(null));
    await expect(sut.execute(new AuthenticateApiKeyQuery(key))).resolves.toEqual({
      id: 'u1',
      email: 'ada@example.com',
      role: 'user',
      apiKeyId: 'k1',
    });
    expect(apiKeys.update).toHaveBeenCalledWith(
      [
        { id: 'k1', lastUsedAt: IsNull() },
        { id: 'k1', lastUsedAt: expect.objectContaining({ type: 'lessThan' }) },
      ],
      { lastUsedAt: expect.any(Date) },
    );
  });

  it('refreshes lastUsedAt only when it is older than a minute', async () => {
    apiKeys.findOne.mockResolvedValue(found(new Date(Date.now() - 30_000)));
    await sut.execute(new AuthenticateApiKeyQuery(key));
    expect(apiKeys.update).not.toHaveBeenCalled();

    apiKeys.findOne.mockResolvedValue(found(new Date(Date.now() - 90_000)));
    await sut.execute(new AuthenticateApiKeyQuery(key));
    expect(apiKeys.update).toHaveBeenCalledTimes(1);
  });
});
