import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { AppError } from '@app/common/errors/app-error';
import { Repository } from 'typeorm';
import { UserEntity } from '../../entities/user.entity';
import { missingUserHash, verifyPassword } from '../../passwords';
import { TokenIssuer } from '../../token-issuer';
import { LoginCommand } from './login.command';

@CommandHandler(LoginCommand)
export class LoginHandler implements ICommandHandler<LoginCommand> {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly tokens: TokenIssuer,
  ) {}

  async execute({ email, password }: LoginCommand) {
    const user = await this.users.findOneBy({ email });
    // Verify against a dummy hash when the email is unknown: the answer takes as long either way.
    const valid = await verifyPassword(user?.passwordHash ?? (await missingUserHash()), password);
    if (!user || !valid) throw new AppError('INVALID_CREDENTIALS', 'Invalid email or password');
    return this.tokens.issue({ id: user.id, email: user.email, role: user.role });
  }
}
