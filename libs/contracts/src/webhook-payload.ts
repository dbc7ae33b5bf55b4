import type { TerminalStatus } from './job';

/** The JSON body of every webhook POST (API.md, Webhooks). */
export interface WebhookPayload {
  jobId: string;
  type: string;
  status: TerminalStatus;
  result: unknown;
  error: string | null;
  attempts: number;
  /** When the job reached this status (ISO-8601). */
  timestamp: string;
}

export type WebhookEvent = 'job.done' | 'job.failed' | 'job.cancelled';
