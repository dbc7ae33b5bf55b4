import type { EventBus } from '@nestjs/cqrs';
import * as argon2 from 'argon2';
import { fake } from '@app/testing/fake';
import { DataSource, QueryFailedError } from 'typeorm';
import { ApiKeyEntity } from '../../entities/api-key.entity';
import { UserEntity } from '../../entities/user.entity';
import { WebhookSecretEntity } from '../../entities/webhook-secret.entity';
import { UserRegisteredEvent } from '../../events/user-registered.event';
import { hashPassword } from '../../passwords';
import { hashApiKey } from '../../secrets';
import { RegisterUserCommand } from './register-user.command';
import { RegisterUserHandler } from './register-user.handler';

jest.mock('../../passwords', () => {
  const actual = jest.requireActual<typeof import('../../passwords')>('../../passwords');
  return { ...actual, hashPassword: jest.fn(actual.hashPassword) };
});

describe(RegisterUserHandler.name, () => {
  const createdAt = new Date('2030-01-01T00:00:00Z');
  let users: { existsBy: jest.Mock };
  let tx: { create: jest.Mock; save: jest.Mock; insert: jest.Mock };
  let db: { getRepository: jest.Mock; transaction: jest.Mock };
  let events: { publish: jest.Mock };
  let sut: RegisterUserHandler;

  beforeEach(() => {
    jest.mocked(hashPassword).mockClear();
    users = { existsBy: jest.fn(() => Promise.resolve(false)) };
    tx = {
      create: jest.fn((_entity: unknown, values: object) => values),
      save: jest.fn((values: object) => Promise.resolve({ ...values, id: 'u1', createdAt })),
      insert: jest.fn(() => Promise.resolve({})),
    };
    db = {
      getRepository: jest.fn(() => users),
      transaction: jest.fn((work: (manager: typeof tx) => Promise<unknown>) => work(tx)),
    };
    events = { publish: jest.fn() };
    sut = new RegisterUserHandler(fake<DataSource>(db), fake<EventBus>(events));
  });

  it('refuses a taken email without hashing or writing', async () => {
    users.existsBy.mockResolvedValue(true);
    await expect(
      sut.execute(new RegisterUserCommand('ada@example.com', 'password-123')),
    ).rejects.toMatchObject({
      name: 'AppError',
      code: 'EMAIL_TAKEN',
      errors: { email: ['email already registered'] },
    });
    expect(users.existsBy).toHaveBeenCalledWith({ email: 'ada@example.com' });
    expect(hashPassword).not.toHaveBeenCalled();
    expect(db.transaction).not.toHaveBeenCalled();
    expect(events.publish).not.toHaveBeenCalled();
  });

  it('turns a unique violation from a racing registration into EMAIL_TAKEN', async () => {
    const duplicate = Object.assign(new Error('duplicate key value'), { code: '23505' });
    db.transaction.mockRejectedValue(new QueryFailedError('INSERT INTO users', [], duplicate));
    await expect(
      sut.execute(new RegisterUserCommand('ada@example.com', 'password-123')),
    ).rejects.toMatchObject({
      code: 'EMAIL_TAKEN',
    });
    expect(events.publish).not.toHaveBeenCalled();
  });

  it('rethrows other database failures unchanged', async () => {
    const failure = new QueryFailedError('INSERT', [], Object.assign(new Error('bad'), { code: '23503' }));
    db.transaction.mockRejectedValue(failure);
    await expect(sut.execute(new RegisterUserCommand('ada@example.com', 'password-123'))).rejects.toBe(
      failure,
    );
  });

  it('writes the user, a default key hash and a webhook secret in one transaction, then publishes', async () => {
    const result = await sut.execute(new RegisterUserCommand('ada@example.com', 'password-123'));

    expect(result).toEqual({
      id: 'u1',
      email: 'ada@example.com',
      role: 'user',
      apiKey: expect.stringMatching(/^ck_[A-Za-z0-9_-]{43}$/),
      webhookSecret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      createdAt,
    });
    expect(db.transaction).toHaveBeenCalledTimes(1);
    expect(tx.create).toHaveBeenCalledWith(UserEntity, expect.objectContaining({ email: 'ada@example.com' }));
    const saved = tx.save.mock.calls[0][0] as UserEntity;
    expect(saved.role).toBe('user');
    expect(await argon2.verify(saved.passwordHash, 'password-123')).toBe(true);
    expect(tx.insert).toHaveBeenCalledWith(ApiKeyEntity, {
      userId: 'u1',
      name: 'default',
      prefix: result.apiKey.slice(0, 11),
      keyHash: hashApiKey(result.apiKey),
    });
    expect(tx.insert).toHaveBeenCalledWith(WebhookSecretEntity, {
      userId: 'u1',
      secret: result.webhookSecret,
    });
    expect(JSON.stringify([tx.save.mock.calls, tx.insert.mock.calls])).not.toContain(result.apiKey);
    expect(events.publish).toHaveBeenCalledWith(new UserRegisteredEvent('u1', 'ada@example.com'));
  });

  it('creates the role it is given', async () => {
    const result = await sut.execute(new RegisterUserCommand('root@example.com', 'password-123', 'admin'));
    expect(result.role).toBe('admin');
    expect(tx.save).toHaveBeenCalledWith(expect.objectContaining({ role: 'admin' }));
  });
});
