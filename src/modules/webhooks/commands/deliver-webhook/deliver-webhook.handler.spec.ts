import type { ConfigService } from '@nestjs/config';
import type { EventBus, QueryBus } from '@nestjs/cqrs';
import type { Repository } from 'typeorm';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fake } from '@app/testing/fake';
import { verifyByHand, WebhookReceiver } from '@app/testing/webhook-receiver';
import type { Env } from '../../../../config/env';
import type { WebhookDeliveryEntity } from '../../entities/webhook-delivery.entity';
import { WebhookAttemptedEvent } from '../../events/webhook-attempted.event';
import type { DeliverWebhookData } from '../../webhooks.queue';
import { DeliverWebhookCommand } from './deliver-webhook.command';
import { DeliverWebhookHandler } from './deliver-webhook.handler';

const SECRET = `whsec_${Buffer.from('a-secret-of-thirty-two-bytes-xyz').toString('base64')}`;

/** A port nothing listens on: taken, then given back. */
async function closedPort() {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe(DeliverWebhookHandler.name, () => {
  const receiver = new WebhookReceiver();
  const deliveries = {
    create: jest.fn((row: object) => row),
    save: jest.fn((row: object) => Promise.resolve(row)),
  };
  const queries = { execute: jest.fn(() => Promise.resolve({ current: SECRET })) };
  const events = { publish: jest.fn() };
  let allowPrivate = true;
  const config = {
    get: (key: keyof Env) =>
      ({ WEBHOOK_TIMEOUT_MS: 2000, ALLOW_PRIVATE_NETWORK_TARGETS: allowPrivate })[key as string],
  };
  const sut = new DeliverWebhookHandler(
    fake<Repository<WebhookDeliveryEntity>>(deliveries),
    fake<QueryBus>(queries),
    fake<ConfigService<Env, true>>(config),
    fake<EventBus>(events),
  );
  const body = JSON.stringify({ jobId: 'j1', type: 'sleep', status: 'DONE' });
  const delivery = (path: string, url = `${receiver.url}${path}`): DeliverWebhookData => ({
    deliveryId: 'd1',
    jobId: 'j1',
    userId: 'u1',
    url,
    event: 'job.done',
    body,
  });
  const published = () => events.publish.mock.calls.map(([event]) => event as WebhookAttemptedEvent);

  beforeAll(() => receiver.start());
  afterAll(() => receiver.close());
  beforeEach(() => {
    jest.clearAllMocks();
    allowPrivate = true;
  });

  it('delivers the signed body, records the attempt and says so', async () => {
    const outcome = await sut.execute(new DeliverWebhookCommand(delivery('/ok'), 1, 3));
    expect(outcome).toEqual({ kind: 'delivered' });
    const [hook] = receiver.on('/ok');
    expect(hook.body).toBe(body);
    expect(hook.headers['webhook-id']).toBe('d1');
    expect(hook.headers['x-conveyor-attempt']).toBe('1');
    expect(verifyByHand(SECRET, hook)).toBe(true);
    expect(queries.execute).toHaveBeenCalledWith(expect.objectContaining({ userId: 'u1' }));
    expect(deliveries.save).toHaveBeenCalledWith(
      expect.objectContaining({
        deliveryId: 'd1',
        jobId: 'j1',
        event: 'job.done',
        payload: JSON.parse(body),
        statusCode: 200,
        success: true,
        attempt: 1,
        error: null,
      }),
    );
    const [event] = published();
    expect(event).toBeInstanceOf(WebhookAttemptedEvent);
    expect(event).toMatchObject({
      deliveryId: 'd1',
      jobId: 'j1',
      event: 'job.done',
      attempt: 1,
      success: true,
    });
    expect(event.outcome).toMatch(/^delivered \(HTTP 200, \d+ ms\)$/);
    expect(event.final).toBe(true);
  });

  it('asks for a retry when the receiver fails and attempts are left', async () => {
    receiver.respond('/500', () => 500);
    const outcome = await sut.execute(new DeliverWebhookCommand(delivery('/500'), 2, 3));
    expect(outcome).toEqual({ kind: 'retry', error: 'Receiver answered HTTP 500' });
    expect(deliveries.save).toHaveBeenCalledWith(
      expect.objectContaining({
        statusCode: 500,
        success: false,
        attempt: 2,
        error: 'Receiver answered HTTP 500',
      }),
    );
    expect(published()[0]).toMatchObject({
      attempt: 2,
      success: false,
      outcome: 'failed: Receiver answered HTTP 500',
      final: false,
    });
  });

  it('gives up on the last attempt of its budget', async () => {
    receiver.respond('/500', () => 500);
    const outcome = await sut.execute(new DeliverWebhookCommand(delivery('/500'), 3, 3));
    expect(outcome).toEqual({ kind: 'failed', error: 'Receiver answered HTTP 500' });
    expect(published()[0]).toMatchObject({ attempt: 3, success: false, final: true });
  });

  it('retries a receiver that cannot be reached', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/hook`;
    const outcome = await sut.execute(new DeliverWebhookCommand(delivery('', url), 1, 3));
    expect(outcome).toMatchObject({ kind: 'retry', error: expect.stringContaining('ECONNREFUSED') });
    expect(deliveries.save).toHaveBeenCalledWith(
      expect.objectContaining({ statusCode: null, success: false }),
    );
  });

  it('gives up at once on a private target, which retrying cannot change', async () => {
    allowPrivate = false;
    const outcome = await sut.execute(new DeliverWebhookCommand(delivery('/private'), 1, 3));
    expect(outcome).toMatchObject({ kind: 'failed', error: expect.stringContaining('Refused to connect') });
    expect(receiver.on('/private')).toEqual([]);
    expect(published()[0]).toMatchObject({ attempt: 1, success: false, final: true });
  });
});
