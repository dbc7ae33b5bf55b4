import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { JobType, type JobContext, type JobRunner } from '../job-type';
import { DataProcessingPayload } from './data-processing.payload';

export interface DataProcessingResult {
  count: number;
  sum: number;
  mean: number;
  min: number;
  max: number;
}

const CHUNK = 10_000;

/** Count, sum, mean, min and max, a chunk at a time so that a cancel or a time-out can land in between. */
@JobType('data-processing', DataProcessingPayload)
export class DataProcessingJob implements JobRunner<DataProcessingPayload, DataProcessingResult> {
  async run({ numbers }: DataProcessingPayload, context: JobContext): Promise<DataProcessingResult> {
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let start = 0; start < numbers.length; start += CHUNK) {
      context.signal.throwIfAborted();
      for (const n of numbers.slice(start, start + CHUNK)) {
        sum += n;
        if (n < min) min = n;
        if (n > max) max = n;
      }
      const done = Math.min(start + CHUNK, numbers.length);
      if (done < numbers.length) {
        context.progress(Math.floor((done / numbers.length) * 100));
        await yieldToEventLoop();
      }
    }
    return { count: numbers.length, sum, mean: sum / numbers.length, min, max };
  }
}
