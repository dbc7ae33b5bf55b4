import type { EventBus, QueryBus } from '@nestjs/cqrs';
import { fake } from '@app/testing/fake';
import type { DataSource } from 'typeorm';
import { ListUserJobIdsQuery } from '../../../jobs/queries/list-user-job-ids/list-user-job-ids.query';
import type { CredentialRevocations } from '../../credential-revocations';
import { UserEntity } from '../../entities/user.entity';
import { UserDeletedEvent } from '../../events/user-deleted.event';
import type { LiveUsers } from '../../live-users';
import { DeleteUserCommand } from './delete-user.command';
import { DeleteUserHandler } from './delete-user.handler';

describe(DeleteUserHandler.name, () => {
  const users = { existsBy: jest.fn(), delete: jest.fn() };
  const db = { getRepository: jest.fn(() => users) };
  const queries = { execute: jest.fn() };
  const liveUsers = { forget: jest.fn() };
  const revocations = { publish: jest.fn(() => Promise.resolve()) };
  const events = { publish: jest.fn() };
  const sut = new DeleteUserHandler(
    fake<DataSource>(db),
    fake<QueryBus>(queries),
    fake<LiveUsers>(liveUsers),
    fake<CredentialRevocations>(revocations),
    fake<EventBus>(events),
  );
  const notFound = { code: 'NOT_FOUND', status: 404 };

  beforeEach(() => {
    jest.clearAllMocks();
    users.existsBy.mockResolvedValue(true);
    users.delete.mockResolvedValue({ affected: 1 });
    queries.execute.mockResolvedValue(['j1', 'j2']);
  });

  it('refuses to delete the calling admin, naming the field', async () => {
    await expect(sut.execute(new DeleteUserCommand('a1', 'a1'))).rejects.toMatchObject({
      code: 'INVALID_OPERATION',
      status: 400,
      errors: { id: [expect.any(String)] },
    });
    expect(users.delete).not.toHaveBeenCalled();
  });

  it('answers 404 for an unknown user and announces nothing', async () => {
    users.existsBy.mockResolvedValue(false);
    await expect(sut.execute(new DeleteUserCommand('a1', 'u1'))).rejects.toMatchObject(notFound);
    expect(users.delete).not.toHaveBeenCalled();
    expect(revocations.publish).not.toHaveBeenCalled();
    expect(events.publish).not.toHaveBeenCalled();
  });

  it('answers 404 when a concurrent deletion got there first, and announces nothing itself', async () => {
    users.delete.mockResolvedValue({ affected: 0 });
    await expect(sut.execute(new DeleteUserCommand('a1', 'u1'))).rejects.toMatchObject(notFound);
    expect(revocations.publish).not.toHaveBeenCalled();
    expect(events.publish).not.toHaveBeenCalled();
  });

  it('deletes again when PostgreSQL ended the delete in a deadlock, and gives up after three tries', async () => {
    const deadlock = Object.assign(new Error('deadlock detected'), { driverError: { code: '40P01' } });
    users.delete.mockRejectedValueOnce(deadlock).mockResolvedValueOnce({ affected: 1 });
    await sut.execute(new DeleteUserCommand('a1', 'u1'));
    expect(users.delete).toHaveBeenCalledTimes(2);
    expect(events.publish).toHaveBeenCalledTimes(1);

    jest.clearAllMocks();
    users.delete.mockRejectedValue(deadlock);
    await expect(sut.execute(new DeleteUserCommand('a1', 'u1'))).rejects.toBe(deadlock);
    expect(users.delete).toHaveBeenCalledTimes(3);
    expect(events.publish).not.toHaveBeenCalled();
  });

  it('does not retry other errors', async () => {
    const other = Object.assign(new Error('boom'), { driverError: { code: '23505' } });
    users.delete.mockRejectedValue(other);
    await expect(sut.execute(new DeleteUserCommand('a1', 'u1'))).rejects.toBe(other);
    expect(users.delete).toHaveBeenCalledTimes(1);
  });

  it('lists the jobs, deletes the row, then has every process forget the user and hands on the job ids', async () => {
    await sut.execute(new DeleteUserCommand('a1', 'u1'));
    expect(db.getRepository).toHaveBeenCalledWith(UserEntity);
    expect(queries.execute).toHaveBeenCalledWith(new ListUserJobIdsQuery('u1'));
    expect(users.delete).toHaveBeenCalledWith({ id: 'u1' });
    expect(queries.execute.mock.invocationCallOrder[0]).toBeLessThan(
      users.delete.mock.invocationCallOrder[0],
    );
    expect(liveUsers.forget).toHaveBeenCalledWith('u1');
    expect(revocations.publish).toHaveBeenCalledWith({ kind: 'user', id: 'u1' });
    expect(revocations.publish.mock.invocationCallOrder[0]).toBeGreaterThan(
      users.delete.mock.invocationCallOrder[0],
    );
    expect(events.publish).toHaveBeenCalledWith(new UserDeletedEvent('u1', ['j1', 'j2']));
  });
});
