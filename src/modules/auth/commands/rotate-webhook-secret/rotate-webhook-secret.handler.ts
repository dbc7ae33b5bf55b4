import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { WebhookSecretEntity } from '../../entities/webhook-secret.entity';
import { newWebhookSecret } from '../../secrets';
import { RotateWebhookSecretCommand } from './rotate-webhook-secret.command';

/** The new secret signs from now on; the one it replaces keeps signing alongside for 24 h. */
@CommandHandler(RotateWebhookSecretCommand)
export class RotateWebhookSecretHandler implements ICommandHandler<RotateWebhookSecretCommand> {
  constructor(
    @InjectRepository(WebhookSecretEntity) private readonly secrets: Repository<WebhookSecretEntity>,
  ) {}

  async execute({ userId }: RotateWebhookSecretCommand) {
    const webhookSecret = newWebhookSecret();
    // One statement (the right-hand `secret` is the old value), so concurrent rotations cannot lose one.
    await this.secrets.query(
      `INSERT INTO webhook_secrets (user_id, secret) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE
          SET previous_secret = webhook_secrets.secret, secret = EXCLUDED.secret, rotated_at = now(), updated_at = now()`,
      [userId, webhookSecret],
    );
    return { webhookSecret };
  }
}
