import type { JobView } from '../job-view';

/** An attempt began: status PROCESSING, `attempts` counts it. */
export class JobStartedEvent {
  constructor(readonly job: JobView) {}
}
