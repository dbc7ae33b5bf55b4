import { Command } from '@nestjs/cqrs';

export class RotateWebhookSecretCommand extends Command<{ webhookSecret: string }> {
  constructor(readonly userId: string) {
    super();
  }
}
