import { fake } from '@app/testing/fake';
import { WebhookAttemptedEvent } from '../../webhooks/events/webhook-attempted.event';
import type { JobLogWriter } from '../job-log-writer';
import { LogWebhookAttemptHandler } from './log-webhook-attempt.event-handler';

describe(LogWebhookAttemptHandler.name, () => {
  const logs = { append: jest.fn(() => Promise.resolve()) };
  const sut = new LogWebhookAttemptHandler(fake<JobLogWriter>(logs));
  const attempted = (attempt: number, success: boolean, outcome: string, final: boolean) =>
    new WebhookAttemptedEvent('d1', 'j1', 'job.done', attempt, success, outcome, final);

  beforeEach(() => jest.clearAllMocks());

  it('logs a delivered attempt', () => {
    sut.handle(attempted(1, true, 'delivered (HTTP 200, 12 ms)', true));
    expect(logs.append.mock.calls).toEqual([
      ['j1', 'info', 'Webhook job.done attempt 1: delivered (HTTP 200, 12 ms)'],
    ]);
  });

  it('logs a failed attempt with attempts left as a warning', () => {
    sut.handle(attempted(1, false, 'failed: Receiver answered HTTP 500', false));
    expect(logs.append.mock.calls).toEqual([
      ['j1', 'warn', 'Webhook job.done attempt 1: failed: Receiver answered HTTP 500'],
    ]);
  });

  it('after the last failed attempt, logs that the webhook was not delivered', () => {
    sut.handle(attempted(3, false, 'failed: connect ECONNREFUSED', true));
    expect(logs.append.mock.calls).toEqual([
      ['j1', 'warn', 'Webhook job.done attempt 3: failed: connect ECONNREFUSED'],
      ['j1', 'error', 'Webhook job.done not delivered after 3 attempt(s)'],
    ]);
  });
});
