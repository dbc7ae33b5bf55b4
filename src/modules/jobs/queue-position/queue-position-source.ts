/**
 * What only the fair scheduler knows about a PENDING, due job. Both answers may be null, meaning "not known
 * here": the job is then shown as waiting, with QueueCounts' estimate of the jobs ahead of it.
 */
export interface QueuePositionSource {
  /** The user's running jobs and cap, when the cap is what holds this job back; else null. */
  heldBy(jobId: string, userId: string): Promise<{ running: number; limit: number } | null>;
  /** How many jobs will start before this one in the scheduler's own order (0: next); null when unknown. */
  rankAmongWaiting(jobId: string): Promise<number | null>;
}

/** The DI token the jobs module binds a QueuePositionSource to. */
export const QUEUE_POSITION_SOURCE = Symbol('QueuePositionSource');
