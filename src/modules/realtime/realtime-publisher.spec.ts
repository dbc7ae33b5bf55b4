import { publishOnly } from './realtime-publisher';

describe(publishOnly.name, () => {
  const logger = { warn: jest.fn() };

  it('publishes through the client', async () => {
    const redis = { publish: jest.fn(() => Promise.resolve(1)) };
    await publishOnly(redis, logger).publish('key#/#job:j1#', 'message');
    expect(redis.publish).toHaveBeenCalledWith('key#/#job:j1#', 'message');
  });

  it('settles even when Redis is down, so the emitter cannot leave an unhandled rejection', async () => {
    const redis = { publish: jest.fn(() => Promise.reject(new Error('Connection is closed.'))) };
    await expect(publishOnly(redis, logger).publish('key#/#', 'message')).resolves.toBeUndefined();
  });
});
