import type { JobView } from '../job-view';

/** A job row was created (or re-queued by retry/replay) and enqueued. */
export class JobQueuedEvent {
  constructor(
    readonly job: JobView,
    /** How it (re)entered the queue. */
    readonly via: 'api' | 'batch' | 'retry' | 'replay' = 'api',
  ) {}
}
