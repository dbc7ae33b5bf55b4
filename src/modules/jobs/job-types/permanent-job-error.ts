/**
 * An error no retry can change (a pixel bomb, a payload over a run-time bound, an attempt over its memory
 * limit): the attempt ends the job FAILED at once instead of using up its retries.
 */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}
