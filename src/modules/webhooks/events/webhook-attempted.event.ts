/** One delivery attempt was made and recorded (a webhook_deliveries row), successful or not. */
export class WebhookAttemptedEvent {
  constructor(
    readonly deliveryId: string,
    readonly jobId: string,
    readonly attempt: number,
    readonly success: boolean,
  ) {}
}
