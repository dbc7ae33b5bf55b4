import type { JobView } from '../job-view';

/** The owner cancelled the job. */
export class JobCancelledEvent {
  constructor(readonly job: JobView) {}
}
