import type { EventBus } from '@nestjs/cqrs';
import { fake } from '@app/testing/fake';
import type { DataSource } from 'typeorm';
import { JobEntity } from '../../../jobs/entities/job.entity';
import type { CredentialRevocations } from '../../credential-revocations';
import { UserEntity } from '../../entities/user.entity';
import { UserDeletedEvent } from '../../events/user-deleted.event';
import type { LiveUsers } from '../../live-users';
import { DeleteUserCommand } from './delete-user.command';
import { DeleteUserHandler } from './delete-user.handler';

describe(DeleteUserHandler.name, () => {
  const tx = { findOne: jest.fn(), find: jest.fn(), delete: jest.fn() };
  const db = { transaction: jest.fn((work: (manager: typeof tx) => Promise<unknown>) => work(tx)) };
  const liveUsers = { forget: jest.fn() };
  const revocations = { publish: jest.fn(() => Promise.resolve()) };
  const events = { publish: jest.fn() };
  const sut = new DeleteUserHandler(
    fake<DataSource>(db),
    fake<LiveUsers>(liveUsers),
    fake<CredentialRevocations>(revocations),
    fake<EventBus>(events),
  );

  beforeEach(() => {
    jest.clearAllMocks();
    tx.findOne.mockResolvedValue({ id: 'u1' });
    tx.find.mockResolvedValue([{ id: 'j1' }, { id: 'j2' }]);
  });

  it('refuses to delete the calling admin, naming the field', async () => {
    await expect(sut.execute(new DeleteUserCommand('a1', 'a1'))).rejects.toMatchObject({
      code: 'INVALID_OPERATION',
      status: 400,
      errors: { id: [expect.any(String)] },
    });
    expect(db.transaction).not.toHaveBeenCalled();
  });

  it('answers 404 for an unknown user and announces nothing', async () => {
    tx.findOne.mockResolvedValue(null);
    await expect(sut.execute(new DeleteUserCommand('a1', 'u1'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
    });
    expect(tx.delete).not.toHaveBeenCalled();
    expect(revocations.publish).not.toHaveBeenCalled();
    expect(events.publish).not.toHaveBeenCalled();
  });

  it('deletes the row, then has every process forget the user, then hands on their job ids', async () => {
    await sut.execute(new DeleteUserCommand('a1', 'u1'));
    expect(tx.find).toHaveBeenCalledWith(JobEntity, { select: { id: true }, where: { userId: 'u1' } });
    expect(tx.delete).toHaveBeenCalledWith(UserEntity, { id: 'u1' });
    expect(liveUsers.forget).toHaveBeenCalledWith('u1');
    expect(revocations.publish).toHaveBeenCalledWith({ kind: 'user', id: 'u1' });
    expect(events.publish).toHaveBeenCalledWith(new UserDeletedEvent('u1', ['j1', 'j2']));
    expect(revocations.publish.mock.invocationCallOrder[0]).toBeGreaterThan(
      tx.delete.mock.invocationCallOrder[0],
    );
  });
});
