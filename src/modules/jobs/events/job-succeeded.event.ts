import type { JobView } from '../job-view';

/** The job ended DONE. */
export class JobSucceededEvent {
  constructor(readonly job: JobView) {}
}
