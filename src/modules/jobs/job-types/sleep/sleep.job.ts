import { setTimeout as delay } from 'node:timers/promises';
import { JobType, type JobContext, type JobRunner } from '../job-type';
import { SleepPayload } from './sleep.payload';

export interface SleepResult {
  sleptMs: number;
}

/** Waits, then succeeds or fails on purpose: the job type for trying retries, time-outs and cancels. */
@JobType('sleep', SleepPayload)
export class SleepJob implements JobRunner<SleepPayload, SleepResult> {
  async run(
    { delayMs, failTimes = 0, forceFail = false }: SleepPayload,
    context: JobContext,
  ): Promise<SleepResult> {
    context.signal.throwIfAborted();
    if (delayMs > 0) {
      // Two halves with 50 % reported between them, so progress can be watched (delayMs 0 stays free).
      const half = Math.floor(delayMs / 2);
      await wait(half, context.signal);
      context.progress(50);
      await wait(delayMs - half, context.signal);
    }
    if (forceFail) throw new Error(`Simulated failure (attempt ${context.attempt}, forceFail)`);
    // Counted over the job's life: a transient fault that clears after failTimes attempts, even when the job
    // was retried or replayed in between.
    if (context.lifetimeAttempt <= failTimes)
      throw new Error(`Simulated failure (attempt ${context.lifetimeAttempt} of failTimes ${failTimes})`);
    return { sleptMs: delayMs };
  }
}

async function wait(ms: number, signal: AbortSignal) {
  await delay(ms, undefined, { signal }).catch((error: unknown) => {
    signal.throwIfAborted(); // the job's reason (cancelled, timed out) rather than a bare AbortError
    throw error;
  });
}
