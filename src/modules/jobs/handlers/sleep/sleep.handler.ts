import { setTimeout as delay } from 'node:timers/promises';
import { JobHandler, type JobContext, type JobHandlerInstance } from '../job-handler';
import { SleepPayload } from './sleep.payload';

export interface SleepResult {
  sleptMs: number;
}

/** Waits, then succeeds or fails on purpose: the job type for trying retries, time-outs and cancels. */
@JobHandler('sleep', SleepPayload)
export class SleepHandler implements JobHandlerInstance<SleepPayload, SleepResult> {
  async run(
    { delayMs, failTimes = 0, forceFail = false }: SleepPayload,
    context: JobContext,
  ): Promise<SleepResult> {
    context.signal.throwIfAborted();
    if (delayMs > 0) {
      await delay(delayMs, undefined, { signal: context.signal }).catch((error: unknown) => {
        context.signal.throwIfAborted(); // the job's reason (cancelled, timed out) rather than a bare AbortError
        throw error;
      });
    }
    if (forceFail) throw new Error(`Simulated failure (attempt ${context.attempt}, forceFail)`);
    if (context.attempt <= failTimes)
      throw new Error(`Simulated failure (attempt ${context.attempt} of failTimes ${failTimes})`);
    return { sleptMs: delayMs };
  }
}
