/** A user's row is gone, with (by foreign-key cascade) their keys, tokens, jobs, job logs and deliveries. */
export class UserDeletedEvent {
  constructor(
    readonly userId: string,
    /** The user's jobs at deletion: their rows are gone, their files on disk are not yet. */
    readonly jobIds: string[],
  ) {}
}
