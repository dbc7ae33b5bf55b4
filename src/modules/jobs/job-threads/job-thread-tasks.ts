import { exportCsv } from '../job-types/csv-export/csv-export.task';
import { renderReport } from '../job-types/generate-report/generate-report.task';

/**
 * The CPU-heavy work of job types, as plain functions of their payload: this file is what each pool thread
 * loads (no Nest, no database), so it imports nothing but the task functions.
 */
export const THREAD_TASKS = {
  'csv-export': exportCsv,
  'generate-report': renderReport,
};

export type ThreadTaskName = keyof typeof THREAD_TASKS;

export interface ThreadTask<Name extends ThreadTaskName = ThreadTaskName> {
  name: Name;
  payload: Parameters<(typeof THREAD_TASKS)[Name]>[0];
}

export type ThreadTaskResult<Name extends ThreadTaskName> = Awaited<ReturnType<(typeof THREAD_TASKS)[Name]>>;

/** Piscina calls the default export with each task. */
export default function runThreadTask({ name, payload }: ThreadTask) {
  const task = THREAD_TASKS[name] as (payload: unknown) => unknown;
  return task(payload);
}
