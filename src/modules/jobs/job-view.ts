import type { JobEntity } from './entities/job.entity';
import type { RealtimeJob } from '@app/contracts/realtime-events';

/** The job as the API shows it and as events carry it (JSON-safe: dates as ISO strings); the shared contract. */
export type JobView = RealtimeJob;

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function toJobView(job: JobEntity): JobView {
  return {
    id: job.id,
    userId: job.userId,
    type: job.type,
    status: job.status,
    priority: job.priority,
    payload: job.payload,
    result: job.result ?? null,
    error: job.error ?? null,
    progress: job.progress,
    attempts: job.attempts,
    maxRetries: job.maxRetries,
    timeoutMs: job.timeoutMs,
    webhookUrl: job.webhookUrl,
    idempotencyKey: job.idempotencyKey,
    runAt: iso(job.runAt),
    nextRetryAt: iso(job.nextRetryAt),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
  };
}
