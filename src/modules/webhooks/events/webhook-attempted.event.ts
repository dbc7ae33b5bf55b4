import type { WebhookEvent } from '@app/contracts/webhook-payload';

/** One delivery attempt was made and recorded (a webhook_deliveries row), successful or not. */
export class WebhookAttemptedEvent {
  constructor(
    readonly deliveryId: string,
    readonly jobId: string,
    readonly event: WebhookEvent,
    readonly attempt: number,
    readonly success: boolean,
    /** For the job's log: `delivered (HTTP 200, 12 ms)` or `failed: <reason>`. */
    readonly outcome: string,
    /** No attempt follows: delivered, or given up. */
    readonly final: boolean,
  ) {}
}
