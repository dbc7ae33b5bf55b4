import { fake } from '@app/testing/fake';
import type { Repository } from 'typeorm';
import type { ApiKeyEntity } from '../../entities/api-key.entity';
import { hashApiKey } from '../../secrets';
import { CreateApiKeyCommand } from './create-api-key.command';
import { CreateApiKeyHandler } from './create-api-key.handler';

describe(CreateApiKeyHandler.name, () => {
  const createdAt = new Date('2030-01-01T00:00:00Z');
  const apiKeys = {
    create: jest.fn((values: object) => values),
    save: jest.fn((values: object) => Promise.resolve({ ...values, id: 'k1', createdAt })),
  };
  const sut = new CreateApiKeyHandler(fake<Repository<ApiKeyEntity>>(apiKeys));

  it('stores only the hash and a prefix, and returns the key once', async () => {
    const result = await sut.execute(new CreateApiKeyCommand('u1', 'ci'));
    expect(result).toEqual({
      id: 'k1',
      name: 'ci',
      prefix: result.key.slice(0, 11),
      key: expect.stringMatching(/^ck_[A-Za-z0-9_-]{43}$/),
      createdAt,
    });
    expect(apiKeys.save).toHaveBeenCalledWith({
      userId: 'u1',
      name: 'ci',
      prefix: result.key.slice(0, 11),
      keyHash: hashApiKey(result.key),
    });
    expect(JSON.stringify(apiKeys.save.mock.calls)).not.toContain(result.key);
  });
});
