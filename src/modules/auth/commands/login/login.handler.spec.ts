import { fake } from '@app/testing/fake';
import type { Repository } from 'typeorm';
import type { UserEntity } from '../../entities/user.entity';
import { hashPassword } from '../../passwords';
import type { TokenIssuer } from '../../token-issuer';
import { LoginCommand } from './login.command';
import { LoginHandler } from './login.handler';

describe(LoginHandler.name, () => {
  const pair = { accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900 };
  const users = { findOneBy: jest.fn() };
  const tokens = { issue: jest.fn(() => Promise.resolve(pair)) };
  const sut = new LoginHandler(fake<Repository<UserEntity>>(users), fake<TokenIssuer>(tokens));
  const invalid = { name: 'AppError', code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' };
  let user: Partial<UserEntity>;

  beforeAll(async () => {
    user = {
      id: 'u1',
      email: 'ada@example.com',
      role: 'user',
      passwordHash: await hashPassword('password-123'),
    };
  });
  beforeEach(() => jest.clearAllMocks());

  it('refuses an unknown email', async () => {
    users.findOneBy.mockResolvedValue(null);
    await expect(sut.execute(new LoginCommand('nobody@example.com', 'password-123'))).rejects.toMatchObject(
      invalid,
    );
    expect(users.findOneBy).toHaveBeenCalledWith({ email: 'nobody@example.com' });
    expect(tokens.issue).not.toHaveBeenCalled();
  });

  it('refuses a wrong password with the same answer', async () => {
    users.findOneBy.mockResolvedValue(user);
    await expect(sut.execute(new LoginCommand('ada@example.com', 'password-124'))).rejects.toMatchObject(
      invalid,
    );
    expect(tokens.issue).not.toHaveBeenCalled();
  });

  it('issues tokens for the right password', async () => {
    users.findOneBy.mockResolvedValue(user);
    await expect(sut.execute(new LoginCommand('ada@example.com', 'password-123'))).resolves.toBe(pair);
    expect(tokens.issue).toHaveBeenCalledWith({ id: 'u1', email: 'ada@example.com', role: 'user' });
  });
});
