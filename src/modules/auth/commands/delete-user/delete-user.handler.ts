import { CommandHandler, EventBus, ICommandHandler, QueryBus } from '@nestjs/cqrs';
import { AppError } from '@app/common/errors/app-error';
import { DataSource } from 'typeorm';
import { ListUserJobIdsQuery } from '../../../jobs/queries/list-user-job-ids/list-user-job-ids.query';
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
    private readonly queries: QueryBus,
    private readonly liveUsers: LiveUsers,
    private readonly revocations: CredentialRevocations,
    private readonly events: EventBus,
  ) {}

  async execute({ adminId, userId }: DeleteUserCommand) {
    if (userId === adminId)
      throw new AppError('INVALID_OPERATION', 'Admins cannot delete their own account', {
        id: ['must not be your own user id'],
      });
    if (!(await this.db.getRepository(UserEntity).existsBy({ id: userId })))
      throw new AppError('NOT_FOUND', 'User not found');
    // Asked first: once the row is gone the jobs are too. A job submitted in between still goes with the
    // user (cascade), but a file it (or a job running now) writes after this stays on disk.
    const jobIds = await this.queries.execute(new ListUserJobIdsQuery(userId));
    const { affected } = await retryingDeadlocks(() =>
      this.db.getRepository(UserEntity).delete({ id: userId }),
    );
    // Deleted by someone else meanwhile: their call announced it.
    if (affected !== 1) throw new AppError('NOT_FOUND', 'User not found');
    this.liveUsers.forget(userId);
    await this.revocations.publish({ kind: 'user', id: userId });
    this.events.publish(new UserDeletedEvent(userId, jobIds));
  }
}

/** PostgreSQL's "deadlock detected": the other transaction went ahead, so this one can simply run again. */
const DEADLOCK = '40P01';
const DEADLOCK_TRIES = 3;

/**
 * The cascade locks the user's jobs and storage counter in an order of its own, so it can deadlock with a job
 * of theirs finishing at that moment (which locks its row, then the counter). PostgreSQL ends one of the two;
 * the delete tries again rather than answer 500.
 */
async function retryingDeadlocks<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { driverError?: { code?: unknown }; code?: unknown }).driverError?.code;
      if (code !== DEADLOCK || attempt >= DEADLOCK_TRIES) throw error;
    }
  }
}
