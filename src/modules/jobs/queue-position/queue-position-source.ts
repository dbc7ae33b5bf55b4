/**
 * What only the fair scheduler knows about a PENDING, due job; null means "not known
 * here": the job is then shown as waiting, with QueueCounts' estimate of the jobs ahead of it.
 */
export interface QueuePositionSource {
  /** The user's running jobs and cap, when the cap is what holds this job back; else null. */
  heldBy(jobId: string, userId: string): Promise<{ running: number; limit: number } | null>;
}

/** The DI token the jobs module binds a QueuePositionSource to. */
export const QUEUE_POSITION_SOURCE = Symbol('QueuePositionSource');
