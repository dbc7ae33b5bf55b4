import type { JobView } from '../job-view';

/** A finished job's webhook was never queued (its process died first): the reconciler asks again. */
export class JobWebhookDueEvent {
  constructor(readonly job: JobView) {}
}
