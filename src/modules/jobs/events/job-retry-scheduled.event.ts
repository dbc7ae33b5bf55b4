import type { JobView } from '../job-view';

/** An attempt failed with retries left: back to PENDING until `nextRetryAt`. */
export class JobRetryScheduledEvent {
  constructor(readonly job: JobView) {}
}
