import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { UserEntity } from '../../../auth/entities/user.entity';
import { UpdateUserLimitsCommand } from './update-user-limits.command';
import type { UserLimitsResponseDto } from './update-user-limits.dto';

/**
 * Writes the given columns. Every process sees the change within TENANT_LIMITS_CACHE_MS (5 s): jobs
 * submitted after that get the new weight, starts after that the new cap.
 */
@CommandHandler(UpdateUserLimitsCommand)
export class UpdateUserLimitsHandler implements ICommandHandler<UpdateUserLimitsCommand> {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  async execute({ userId, changes }: UpdateUserLimitsCommand): Promise<UserLimitsResponseDto> {
    const set: Partial<Pick<UserEntity, 'weight' | 'maxConcurrency'>> = {};
    if (changes.weight !== undefined) set.weight = changes.weight;
    if (changes.maxConcurrency !== undefined) set.maxConcurrency = changes.maxConcurrency;
    if (Object.keys(set).length > 0) await this.users.update({ id: userId }, set);
    const user = await this.users.findOne({ where: { id: userId } });
    if (!user) throw new AppError('NOT_FOUND', 'User not found');
    const { id, email, role, weight, maxConcurrency } = user;
    return { id, email, role, weight, maxConcurrency };
  }
}
