import { Command } from '@nestjs/cqrs';

/** How one attempt ended, for the queue entry that ran it. */
export type RunJobAttemptOutcome =
  /** The row was not startable (cancelled, finished or deleted): nothing ran. */
  | { kind: 'skipped' }
  | { kind: 'done' }
  /** Stopped by a cancel: the row is already CANCELLED. */
  | { kind: 'cancelled' }
  /** Failed with retries left: the row is PENDING until the retry, due in `delayMs`. */
  | { kind: 'retry'; error: string; delayMs: number }
  /** Failed for good: the row is FAILED. */
  | { kind: 'failed'; error: string };

/** Runs one attempt of a job. The attempt budget is the queue entry's: attempts made before this one, and in all. */
export class RunJobAttemptCommand extends Command<RunJobAttemptOutcome> {
  constructor(
    readonly jobId: string,
    readonly attemptsMade: number,
    readonly maxAttempts: number,
  ) {
    super();
  }
}
