import { Logger } from '@nestjs/common';
import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { AppError } from '@app/common/errors/app-error';
import { Repository } from 'typeorm';
import { UserEntity } from '../../entities/user.entity';
import { RegisterUserCommand } from '../register-user/register-user.command';
import { EnsureAdminCommand } from './ensure-admin.command';

/**
 * Idempotent and safe when several processes start at once: an existing account keeps its password and is
 * promoted to admin; a missing one is registered (the loser of a race sees EMAIL_TAKEN and promotes).
 */
@CommandHandler(EnsureAdminCommand)
export class EnsureAdminHandler implements ICommandHandler<EnsureAdminCommand> {
  private readonly logger = new Logger(EnsureAdminHandler.name);

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly commands: CommandBus,
  ) {}

  async execute({ email, password }: EnsureAdminCommand) {
    const normalized = email.trim().toLowerCase();
    try {
      if (!(await this.users.existsBy({ email: normalized }))) {
        await this.commands.execute(new RegisterUserCommand(normalized, password, 'admin'));
        this.logger.log({ email: normalized }, 'Admin account created');
        return { created: true };
      }
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'EMAIL_TAKEN')) throw error;
    }
    await this.users.update({ email: normalized }, { role: 'admin' });
    return { created: false };
  }
}
