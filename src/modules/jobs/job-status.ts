// The job's value lists live in the contracts shared with the SDK and the tests; re-exported for the module.
export {
  JOB_PRIORITIES,
  JOB_STATUSES,
  LOG_LEVELS,
  TERMINAL_STATUSES,
  type JobPriority,
  type JobStatus,
  type LogLevel,
  type TerminalStatus,
} from '@app/contracts/job';
