import { fake } from '@app/testing/fake';
import type { Repository } from 'typeorm';
import type { WebhookSecretEntity } from '../../entities/webhook-secret.entity';
import { RotateWebhookSecretCommand } from './rotate-webhook-secret.command';
import { RotateWebhookSecretHandler } from './rotate-webhook-secret.handler';

describe(RotateWebhookSecretHandler.name, () => {
  const secrets = { query: jest.fn(() => Promise.resolve([])) };
  const sut = new RotateWebhookSecretHandler(fake<Repository<WebhookSecretEntity>>(secrets));

  it('upserts a new whsec_ secret in one statement that keeps the old one as previous', async () => {
    const { webhookSecret } = await sut.execute(new RotateWebhookSecretCommand('u1'));
    expect(webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secrets.query).toHaveBeenCalledTimes(1);
    const [sql, params] = secrets.query.mock.calls[0] as unknown as [string, unknown[]];
    expect(params).toEqual(['u1', webhookSecret]);
    expect(sql).toMatch(/ON CONFLICT \(user_id\) DO UPDATE/);
    expect(sql).toMatch(/previous_secret = webhook_secrets\.secret/);
    expect(sql).toMatch(/secret = EXCLUDED\.secret/);
  });

  it('makes a different secret each time', async () => {
    const first = await sut.execute(new RotateWebhookSecretCommand('u1'));
    const second = await sut.execute(new RotateWebhookSecretCommand('u1'));
    expect(first.webhookSecret).not.toBe(second.webhookSecret);
  });
});
