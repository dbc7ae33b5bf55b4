import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { AppError } from '@app/common/errors/app-error';
import { DataSource } from 'typeorm';
import { JobEntity } from '../../../jobs/entities/job.entity';
import { CredentialRevocations } from '../../credential-revocations';
import { UserEntity } from '../../entities/user.entity';
import { UserDeletedEvent } from '../../events/user-deleted.event';
import { LiveUsers } from '../../live-users';
import { DeleteUserCommand } from './delete-user.command';

/**
 * Deletes the user's row; foreign keys cascade to their API keys, refresh tokens, webhook secret, jobs, job
 * logs and webhook deliveries. Then every process forgets the user (LiveUsers: their access tokens answer
 * 401 at once) and ends their sockets (CredentialRevocations), and UserDeletedEvent has the jobs' files
 * removed. A queue entry of a deleted job finds no row when a worker takes it and completes quietly.
 */
@CommandHandler(DeleteUserCommand)
export class DeleteUserHandler implements ICommandHandler<DeleteUserCommand> {
  constructor(
    private readonly db: DataSource,
    private readonly liveUsers: LiveUsers,
    private readonly revocations: CredentialRevocations,
    private readonly events: EventBus,
  ) {}

  async execute({ adminId, userId }: DeleteUserCommand) {
    if (userId === adminId)
      throw new AppError('INVALID_OPERATION', 'Admins cannot delete their own account', {
        id: ['must not be your own user id'],
      });
    const jobIds = await this.db.transaction(async (tx) => {
      // Locks the row: a concurrent deletion of the same user waits here, then finds nothing.
      const user = await tx.findOne(UserEntity, {
        where: { id: userId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!user) throw new AppError('NOT_FOUND', 'User not found');
      const jobs = await tx.find(JobEntity, { select: { id: true }, where: { userId } });
      await tx.delete(UserEntity, { id: userId });
      return jobs.map((job) => job.id);
    });
    this.liveUsers.forget(userId);
    await this.revocations.publish({ kind: 'user', id: userId });
    this.events.publish(new UserDeletedEvent(userId, jobIds));
  }
}
