import { fake } from '@app/testing/fake';
import { IsNull, Repository } from 'typeorm';
import type { ApiKeyEntity } from '../../entities/api-key.entity';
import { ListApiKeysQuery } from './list-api-keys.query';
import { ListApiKeysHandler } from './list-api-keys.handler';

describe(ListApiKeysHandler.name, () => {
  const rows = [{ id: 'k2', name: 'ci', prefix: 'ck_abcdefgh', lastUsedAt: null, createdAt: new Date() }];
  const apiKeys = { find: jest.fn(() => Promise.resolve(rows)) };
  const sut = new ListApiKeysHandler(fake<Repository<ApiKeyEntity>>(apiKeys));

  it("lists the caller's live keys newest first, without hashes", async () => {
    await expect(sut.execute(new ListApiKeysQuery('u1'))).resolves.toBe(rows);
    expect(apiKeys.find).toHaveBeenCalledWith({
      select: { id: true, name: true, prefix: true, lastUsedAt: true, createdAt: true },
      where: { userId: 'u1', revokedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
  });
});
