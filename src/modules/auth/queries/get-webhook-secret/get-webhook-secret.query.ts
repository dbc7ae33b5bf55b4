import { Query } from '@nestjs/cqrs';

export class GetWebhookSecretQuery extends Query<{ webhookSecret: string }> {
  constructor(readonly userId: string) {
    super();
  }
}
