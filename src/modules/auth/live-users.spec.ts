import { fake } from '@app/testing/fake';
import type { Repository } from 'typeorm';
import type { CredentialRevocations, Revocation } from './credential-revocations';
import type { UserEntity } from './entities/user.entity';
import { LiveUsers } from './live-users';

describe(LiveUsers.name, () => {
  const users = { existsBy: jest.fn() };
  let listener: (revocation: Revocation) => void;
  const revocations = { onRevoked: jest.fn((l: typeof listener) => (listener = l)) };
  const sut = new LiveUsers(fake<Repository<UserEntity>>(users), fake<CredentialRevocations>(revocations));

  beforeEach(() => {
    jest.clearAllMocks();
    sut.forget('u1');
  });

  it('asks the database once, then answers from its cache', async () => {
    users.existsBy.mockResolvedValue(true);
    expect(await sut.exists('u1')).toBe(true);
    expect(await sut.exists('u1')).toBe(true);
    expect(users.existsBy).toHaveBeenCalledTimes(1);
  });

  it('forgets a user whose deletion is announced, so their next token is checked again', async () => {
    users.existsBy.mockResolvedValue(true);
    await sut.exists('u1');
    listener({ kind: 'api-key', id: 'u1' });
    listener({ kind: 'family', id: 'u1' });
    expect(await sut.exists('u1')).toBe(true);
    expect(users.existsBy).toHaveBeenCalledTimes(1);
    listener({ kind: 'user', id: 'u1' });
    users.existsBy.mockResolvedValue(false);
    expect(await sut.exists('u1')).toBe(false);
    expect(users.existsBy).toHaveBeenCalledTimes(2);
  });
});
