/** The values of a job's fields, once for the server (entities, DTOs, OpenAPI enums), the SDK and the tests. */

export const JOB_STATUSES = ['PENDING', 'PROCESSING', 'DONE', 'FAILED', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The statuses a job ends in (a retry or a replay starts it again as PENDING). */
export type TerminalStatus = Extract<JobStatus, 'DONE' | 'FAILED' | 'CANCELLED'>;
export const TERMINAL_STATUSES: readonly JobStatus[] = [
  'DONE',
  'FAILED',
  'CANCELLED',
] satisfies TerminalStatus[];

export const JOB_PRIORITIES = ['high', 'normal', 'low'] as const;
export type JobPriority = (typeof JOB_PRIORITIES)[number];

export const LOG_LEVELS = ['info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
