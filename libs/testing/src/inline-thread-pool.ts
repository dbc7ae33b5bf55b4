import { JobThreadPool } from '../../../src/modules/jobs/job-threads/job-thread-pool';
import { THREAD_TASKS } from '../../../src/modules/jobs/job-threads/job-thread-tasks';
import { fake } from './fake';

/** A JobThreadPool for unit tests: runs each task on the calling thread, after checking the signal. */
export const inlineThreadPool = () =>
  fake<JobThreadPool>({
    run: async (name: keyof typeof THREAD_TASKS, payload: never, signal: AbortSignal) => {
      signal.throwIfAborted();
      return THREAD_TASKS[name](payload);
    },
  });
