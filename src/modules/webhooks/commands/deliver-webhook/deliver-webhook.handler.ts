import { ConfigService } from '@nestjs/config';
import { CommandHandler, EventBus, ICommandHandler, QueryBus } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { outboundRequest, PrivateTargetError } from '@app/common/net/outbound-http';
import type { WebhookPayload } from '@app/contracts/webhook-payload';
import { Env } from '../../../../config/env';
import { GetSigningSecretsQuery } from '../../../auth/queries/get-signing-secrets/get-signing-secrets.query';
import { WebhookDeliveryEntity } from '../../entities/webhook-delivery.entity';
import { WebhookAttemptedEvent } from '../../events/webhook-attempted.event';
import { signedHeaders } from '../../signature';
import { DeliverWebhookCommand, DeliverWebhookOutcome } from './deliver-webhook.command';

@CommandHandler(DeliverWebhookCommand)
export class DeliverWebhookHandler implements ICommandHandler<DeliverWebhookCommand> {
  constructor(
    @InjectRepository(WebhookDeliveryEntity) private readonly deliveries: Repository<WebhookDeliveryEntity>,
    private readonly queries: QueryBus,
    private readonly config: ConfigService<Env, true>,
    private readonly events: EventBus,
  ) {}

  async execute({ delivery, attempt, maxAttempts }: DeliverWebhookCommand): Promise<DeliverWebhookOutcome> {
    const secrets = await this.queries.execute(new GetSigningSecretsQuery(delivery.userId));
    const headers = signedHeaders(secrets, { id: delivery.deliveryId, body: delivery.body, attempt });
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let permanent = false;
    try {
      const response = await outboundRequest(delivery.url, {
        method: 'POST',
        headers,
        body: delivery.body,
        timeoutMs: this.config.get('WEBHOOK_TIMEOUT_MS', { infer: true }),
        allowPrivate: this.config.get('ALLOW_PRIVATE_NETWORK_TARGETS', { infer: true }),
        maxBodyBytes: 4096,
      });
      statusCode = response.status;
      if (statusCode < 200 || statusCode > 299) error = `Receiver answered HTTP ${statusCode}`;
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
      permanent = failure instanceof PrivateTargetError; // retrying cannot change the answer
    }
    const durationMs = Math.round(performance.now() - started);
    const success = error === null;
    await this.deliveries.save(
      this.deliveries.create({
        deliveryId: delivery.deliveryId,
        jobId: delivery.jobId,
        url: delivery.url,
        event: delivery.event,
        payload: JSON.parse(delivery.body) as WebhookPayload,
        statusCode,
        success,
        attempt,
        error,
        durationMs,
      }),
    );
    const final = success || permanent || attempt >= maxAttempts;
    const outcome = success ? `delivered (HTTP ${statusCode}, ${durationMs} ms)` : `failed: ${error}`;
    this.events.publish(
      new WebhookAttemptedEvent(
        delivery.deliveryId,
        delivery.jobId,
        delivery.event,
        attempt,
        success,
        outcome,
        final,
      ),
    );
    if (success) return { kind: 'delivered' };
    return final ? { kind: 'failed', error: error! } : { kind: 'retry', error: error! };
  }
}
