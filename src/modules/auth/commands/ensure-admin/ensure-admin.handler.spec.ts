import { Logger } from '@nestjs/common';
import type { CommandBus } from '@nestjs/cqrs';
import { AppError } from '@app/common/errors/app-error';
import { fake } from '@app/testing/fake';
import type { Repository } from 'typeorm';
import type { UserEntity } from '../../entities/user.entity';
import { RegisterUserCommand } from '../register-user/register-user.command';
import { EnsureAdminCommand } from './ensure-admin.command';
import { EnsureAdminHandler } from './ensure-admin.handler';

Logger.overrideLogger(false);

describe(EnsureAdminHandler.name, () => {
  const users = { existsBy: jest.fn(), update: jest.fn() };
  const commands = { execute: jest.fn() };
  const sut = new EnsureAdminHandler(fake<Repository<UserEntity>>(users), fake<CommandBus>(commands));

  beforeEach(() => jest.resetAllMocks());

  it('registers a missing admin under the normalized email', async () => {
    users.existsBy.mockResolvedValue(false);
    await expect(sut.execute(new EnsureAdminCommand(' Root@Example.COM ', 'password-123'))).resolves.toEqual({
      created: true,
    });
    expect(users.existsBy).toHaveBeenCalledWith({ email: 'root@example.com' });
    expect(commands.execute).toHaveBeenCalledWith(
      new RegisterUserCommand('root@example.com', 'password-123', 'admin'),
    );
    expect(users.update).not.toHaveBeenCalled();
  });

  it('promotes an existing account without registering', async () => {
    users.existsBy.mockResolvedValue(true);
    await expect(sut.execute(new EnsureAdminCommand('root@example.com', 'pw'))).resolves.toEqual({
      created: false,
    });
    expect(commands.execute).not.toHaveBeenCalled();
    expect(users.update).toHaveBeenCalledWith({ email: 'root@example.com' }, { role: 'admin' });
  });

  it('promotes when another process registered the email first', async () => {
    users.existsBy.mockResolvedValue(false);
    commands.execute.mockRejectedValue(new AppError('EMAIL_TAKEN', 'Email already registered'));
    await expect(sut.execute(new EnsureAdminCommand('root@example.com', 'pw'))).resolves.toEqual({
      created: false,
    });
    expect(users.update).toHaveBeenCalledWith({ email: 'root@example.com' }, { role: 'admin' });
  });

  it('rethrows other failures without promoting', async () => {
    const failure = new Error('connection refused');
    users.existsBy.mockResolvedValue(false);
    commands.execute.mockRejectedValue(failure);
    await expect(sut.execute(new EnsureAdminCommand('root@example.com', 'pw'))).rejects.toBe(failure);
    expect(users.update).not.toHaveBeenCalled();
  });
});
