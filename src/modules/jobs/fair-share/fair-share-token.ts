/** The `jobs` queue's FairShare (another scope, e.g. webhooks, gets an instance and a token of its own). */
export const JOBS_FAIR_SHARE = Symbol('JOBS_FAIR_SHARE');
/** The `webhooks` queue's FairShare: deliveries take turns and have slots apart from jobs. */
export const WEBHOOKS_FAIR_SHARE = Symbol('WEBHOOKS_FAIR_SHARE');
