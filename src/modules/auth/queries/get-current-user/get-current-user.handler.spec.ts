import { fake } from '@app/testing/fake';
import type { Repository } from 'typeorm';
import type { UserEntity } from '../../entities/user.entity';
import { GetCurrentUserQuery } from './get-current-user.query';
import { GetCurrentUserHandler } from './get-current-user.handler';

describe(GetCurrentUserHandler.name, () => {
  const users = { findOneBy: jest.fn() };
  const sut = new GetCurrentUserHandler(fake<Repository<UserEntity>>(users));

  it('answers the user without the password hash', async () => {
    const createdAt = new Date('2030-01-01T00:00:00Z');
    users.findOneBy.mockResolvedValue({
      id: 'u1',
      email: 'ada@example.com',
      role: 'admin',
      passwordHash: '$argon2id$...',
      createdAt,
      updatedAt: createdAt,
    });
    await expect(sut.execute(new GetCurrentUserQuery('u1'))).resolves.toEqual({
      id: 'u1',
      email: 'ada@example.com',
      role: 'admin',
      createdAt,
    });
    expect(users.findOneBy).toHaveBeenCalledWith({ id: 'u1' });
  });

  it('answers UNAUTHORIZED for a user deleted since the token was issued', async () => {
    users.findOneBy.mockResolvedValue(null);
    await expect(sut.execute(new GetCurrentUserQuery('u1'))).rejects.toMatchObject({
      name: 'AppError',
      code: 'UNAUTHORIZED',
    });
  });
});
