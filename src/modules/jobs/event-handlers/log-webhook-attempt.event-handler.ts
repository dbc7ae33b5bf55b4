import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { WebhookAttemptedEvent } from '../../webhooks/events/webhook-attempted.event';
import { JobLogWriter } from '../job-log-writer';

/** Every delivery attempt of a job's webhook is a line in the job's log, and so is giving up. */
@EventsHandler(WebhookAttemptedEvent)
export class LogWebhookAttemptHandler implements IEventHandler<WebhookAttemptedEvent> {
  constructor(private readonly logs: JobLogWriter) {}

  handle({ jobId, event, attempt, success, outcome, final }: WebhookAttemptedEvent) {
    void this.logs.append(
      jobId,
      success ? 'info' : 'warn',
      `Webhook ${event} attempt ${attempt}: ${outcome}`,
    );
    if (!success && final) {
      void this.logs.append(jobId, 'error', `Webhook ${event} not delivered after ${attempt} attempt(s)`);
    }
  }
}
