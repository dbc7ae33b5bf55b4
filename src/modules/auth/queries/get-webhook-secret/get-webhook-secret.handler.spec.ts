import { fake } from '@app/testing/fake';
import type { Repository } from 'typeorm';
import type { WebhookSecretEntity } from '../../entities/webhook-secret.entity';
import { GetWebhookSecretQuery } from './get-webhook-secret.query';
import { GetWebhookSecretHandler } from './get-webhook-secret.handler';

describe(GetWebhookSecretHandler.name, () => {
  const secrets = { findOneBy: jest.fn() };
  const sut = new GetWebhookSecretHandler(fake<Repository<WebhookSecretEntity>>(secrets));

  it("answers the caller's current secret only", async () => {
    secrets.findOneBy.mockResolvedValue({ userId: 'u1', secret: 'whsec_new', previousSecret: 'whsec_old' });
    await expect(sut.execute(new GetWebhookSecretQuery('u1'))).resolves.toEqual({
      webhookSecret: 'whsec_new',
    });
    expect(secrets.findOneBy).toHaveBeenCalledWith({ userId: 'u1' });
  });

  it('answers NOT_FOUND when the user has none', async () => {
    secrets.findOneBy.mockResolvedValue(null);
    await expect(sut.execute(new GetWebhookSecretQuery('u1'))).rejects.toMatchObject({
      name: 'AppError',
      code: 'NOT_FOUND',
    });
  });
});
