import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { AppError } from '@app/common/errors/app-error';
import { Repository } from 'typeorm';
import { UserEntity } from '../../entities/user.entity';
import { GetCurrentUserQuery } from './get-current-user.query';

@QueryHandler(GetCurrentUserQuery)
export class GetCurrentUserHandler implements IQueryHandler<GetCurrentUserQuery> {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  async execute({ userId }: GetCurrentUserQuery) {
    const user = await this.users.findOneBy({ id: userId });
    // A valid token for a user deleted since: the credentials no longer name anyone.
    if (!user) throw new AppError('UNAUTHORIZED', 'Invalid or missing credentials');
    return { id: user.id, email: user.email, role: user.role, createdAt: user.createdAt };
  }
}
