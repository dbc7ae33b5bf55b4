import { PermanentJobError } from '../job-types/permanent-job-error';
import {
  ArtifactTooLargeError,
  megabytes,
  MIB,
  quotaReachedMessage,
  StorageQuotaExceededError,
} from './artifact-limits';

describe('artifact limits', () => {
  it('reads mebibytes with one decimal at most', () => {
    expect(megabytes(500 * MIB)).toBe('500');
    expect(megabytes(Math.round(495.1 * MIB))).toBe('495.1');
    expect(megabytes(Math.round(12.34 * MIB))).toBe('12.3');
    expect(megabytes(0)).toBe('0');
  });

  it('names the size and the limit of a file too large, and is permanent', () => {
    const error = new ArtifactTooLargeError(198_705_152, 32 * MIB);
    expect(error).toBeInstanceOf(PermanentJobError);
    expect(error.message).toBe(
      'The artifact is 189.5 MB (198705152 bytes), over the 32 MB (33554432 bytes) limit (ARTIFACT_MAX_BYTES); ' +
        'nothing was kept',
    );
    expect(new ArtifactTooLargeError(33_600_000, 32 * MIB, { stoppedAt: true }).message).toBe(
      'The artifact is over the 32 MB (33554432 bytes) limit (ARTIFACT_MAX_BYTES): producing it stopped at ' +
        '32 MB (33600000 bytes); nothing was kept',
    );
  });

  it('names the artifact, the use and the quota when a file would go over it', () => {
    const used = Math.round(495.1 * MIB);
    const error = new StorageQuotaExceededError(Math.round(12.3 * MIB), used, 500 * MIB);
    expect(error).toBeInstanceOf(PermanentJobError);
    expect(error.message).toBe(
      `Storage quota exceeded: this artifact is 12.3 MB (${Math.round(12.3 * MIB)} bytes) and you use 495.1 of ` +
        `500 MB (${used} of 524288000 bytes); nothing was kept. Space comes back as your finished jobs pass ` +
        'retention (JOB_RETENTION_DAYS).',
    );
  });

  it('names the types refused at submission with the numbers', () => {
    expect(quotaReachedMessage(['csv-export'], 524_288_000, 524_288_000, 42)).toBe(
      'Storage quota exceeded: you use 500 of 500 MB (524288000 of 524288000 bytes) in 42 artifact(s), so ' +
        'csv-export jobs, which keep a file, cannot be submitted. Space comes back as your finished jobs pass ' +
        'retention (JOB_RETENTION_DAYS).',
    );
  });
});
