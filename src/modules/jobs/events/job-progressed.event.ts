import type { JobView } from '../job-view';

/** The running attempt reported progress. */
export class JobProgressedEvent {
  constructor(readonly job: JobView) {}
}
