import type { JobView } from '../job-view';

/** The job ended FAILED (no retries left): the dead-letter set. */
export class JobFailedEvent {
  constructor(readonly job: JobView) {}
}
