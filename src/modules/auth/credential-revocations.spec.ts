import { EventEmitter } from 'node:events';
import type { ConfigService } from '@nestjs/config';
import { Logger } from '@nestjs/common';
import { fake } from '@app/testing/fake';
import type Redis from 'ioredis';
import type { Env } from '../../config/env';
import { CredentialRevocations, parseRevocation, Revocation } from './credential-revocations';

Logger.overrideLogger(false);

describe(CredentialRevocations.name, () => {
  const CHANNEL = 'acme:credential-revocations';
  let subscriber: EventEmitter & { subscribe: jest.Mock; quit: jest.Mock };
  let redis: { publish: jest.Mock; duplicate: jest.Mock };
  let sut: CredentialRevocations;

  beforeEach(async () => {
    subscriber = Object.assign(new EventEmitter(), {
      subscribe: jest.fn(() => Promise.resolve(1)),
      quit: jest.fn(() => Promise.resolve('OK')),
    });
    redis = { publish: jest.fn(() => Promise.resolve(1)), duplicate: jest.fn(() => subscriber) };
    const config = { get: (name: keyof Env) => (name === 'QUEUE_PREFIX' ? 'acme' : undefined) };
    sut = new CredentialRevocations(fake<Redis>(redis), fake<ConfigService<Env, true>>(config));
    await sut.onModuleInit();
  });

  it('subscribes on a connection of its own to the channel of its QUEUE_PREFIX', () => {
    expect(redis.duplicate).toHaveBeenCalled();
    expect(subscriber.subscribe).toHaveBeenCalledWith(CHANNEL);
  });

  it('publishes a revocation as JSON on that channel', async () => {
    await sut.publish({ kind: 'api-key', id: 'k1' });
    expect(redis.publish).toHaveBeenCalledWith(CHANNEL, JSON.stringify({ kind: 'api-key', id: 'k1' }));
  });

  it('settles when Redis refuses the publish: the revocation is already committed', async () => {
    redis.publish.mockRejectedValue(new Error('Connection is closed.'));
    await expect(sut.publish({ kind: 'user', id: 'u1' })).resolves.toBeUndefined();
  });

  it("hands every listener the channel's revocations, and only those", () => {
    const heard: Revocation[][] = [[], []];
    sut.onRevoked((r) => heard[0].push(r));
    sut.onRevoked((r) => heard[1].push(r));
    subscriber.emit('message', CHANNEL, JSON.stringify({ kind: 'family', id: 'f1' }));
    subscriber.emit('message', 'other:channel', JSON.stringify({ kind: 'family', id: 'f2' }));
    subscriber.emit('message', CHANNEL, 'not json');
    expect(heard).toEqual([[{ kind: 'family', id: 'f1' }], [{ kind: 'family', id: 'f1' }]]);
  });

  it('keeps notifying the other listeners when one throws', () => {
    const heard: Revocation[] = [];
    sut.onRevoked(() => {
      throw new Error('boom');
    });
    sut.onRevoked((r) => heard.push(r));
    subscriber.emit('message', CHANNEL, JSON.stringify({ kind: 'user', id: 'u1' }));
    expect(heard).toEqual([{ kind: 'user', id: 'u1' }]);
  });

  it('closes its subscriber on shutdown', async () => {
    await sut.onApplicationShutdown();
    expect(subscriber.quit).toHaveBeenCalled();
  });
});

describe(parseRevocation.name, () => {
  it.each([['api-key'], ['family'], ['user']])('reads a %s revocation', (kind) => {
    expect(parseRevocation(JSON.stringify({ kind, id: 'x1' }))).toEqual({ kind, id: 'x1' });
  });

  it.each([
    ['an unknown kind', JSON.stringify({ kind: 'session', id: 'x1' })],
    ['no id', JSON.stringify({ kind: 'user' })],
    ['an empty id', JSON.stringify({ kind: 'user', id: '' })],
    ['a number id', JSON.stringify({ kind: 'user', id: 7 })],
    ['null', 'null'],
    ['not JSON', '{'],
  ])('ignores %s', (_, message) => {
    expect(parseRevocation(message)).toBeUndefined();
  });
});
