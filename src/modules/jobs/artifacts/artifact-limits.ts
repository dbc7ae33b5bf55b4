import { PermanentJobError } from '../job-types/permanent-job-error';

/** The MB of the storage settings and messages: mebibytes. */
export const MIB = 1024 * 1024;

/** `12.3` for 12.3 MiB, `500` for exactly 500: one decimal at most. */
export const megabytes = (bytes: number) => `${Number((bytes / MIB).toFixed(1))}`;

/** `12.3 MB (12897484 bytes)`: rounded for reading, exact for checking. */
const size = (bytes: number) => `${megabytes(bytes)} MB (${bytes} bytes)`;

/** How a user gets space back (no route deletes a finished job: retention does). */
const FREEING = 'Space comes back as your finished jobs pass retention (JOB_RETENTION_DAYS).';

/**
 * An artifact over ARTIFACT_MAX_BYTES. `stoppedAt`: the type stopped producing it once the limit was crossed,
 * so its full size is unknown, only that it is more than the limit.
 */
export class ArtifactTooLargeError extends PermanentJobError {
  constructor(bytes: number, limitBytes: number, options: { stoppedAt?: boolean } = {}) {
    const limit = `the ${size(limitBytes)} limit (ARTIFACT_MAX_BYTES)`;
    super(
      options.stoppedAt
        ? `The artifact is over ${limit}: producing it stopped at ${size(bytes)}; nothing was kept`
        : `The artifact is ${size(bytes)}, over ${limit}; nothing was kept`,
    );
    this.name = 'ArtifactTooLargeError';
  }
}

/** An artifact that would take its owner's kept artifacts over USER_STORAGE_QUOTA_MB. */
export class StorageQuotaExceededError extends PermanentJobError {
  constructor(bytes: number, usedBytes: number, limitBytes: number) {
    super(
      `Storage quota exceeded: this artifact is ${size(bytes)} and you use ${usage(usedBytes, limitBytes)}; ` +
        `nothing was kept. ${FREEING}`,
    );
    this.name = 'StorageQuotaExceededError';
  }
}

/** `495.1 of 500 MB (519145472 of 524288000 bytes)`. */
export const usage = (usedBytes: number, limitBytes: number) =>
  `${megabytes(usedBytes)} of ${megabytes(limitBytes)} MB (${usedBytes} of ${limitBytes} bytes)`;

/** The answer to a submission of `types` (each one keeps a file) while the user is at the quota. */
export const quotaReachedMessage = (
  types: string[],
  usedBytes: number,
  limitBytes: number,
  artifacts: number,
) =>
  `Storage quota exceeded: you use ${usage(usedBytes, limitBytes)} in ${artifacts} artifact(s), so ` +
  `${types.join(', ')} jobs, which keep a file, cannot be submitted. ${FREEING}`;

/** The job types whose runs keep a file (saveArtifact): refused at submission while the owner is at the quota. */
export const ARTIFACT_JOB_TYPES: ReadonlySet<string> = new Set([
  'csv-export',
  'generate-report',
  'resize-image',
]);
