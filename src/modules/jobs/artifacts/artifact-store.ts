import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AppError } from '@app/common/errors/app-error';
import type { Env } from '../../../config/env';
import { ArtifactTooLargeError, MIB } from './artifact-limits';

/** One path segment: letters, digits, `.`, `_`, `-`; no leading dot, so no `..` and no hidden files. */
const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/** Where GET /api/jobs/:id/artifact serves a job's file. */
export const artifactUrl = (jobId: string) => `/api/jobs/${jobId}/artifact`;

/**
 * Job output files on disk, at ARTIFACTS_DIR/<jobId>/<filename>, each at most ARTIFACT_MAX_BYTES. What a user
 * may keep in all (USER_STORAGE_QUOTA_MB) is checked when the job is marked DONE (JobStore.succeed).
 */
@Injectable()
export class ArtifactStore {
  readonly root: string;
  /** ARTIFACT_MAX_BYTES: the largest file write() keeps. */
  readonly maxBytes: number;
  /** USER_STORAGE_QUOTA_MB in bytes: what one user's kept files may add up to. */
  readonly quotaBytes: number;

  constructor(config: ConfigService<Env, true>) {
    this.root = resolve(config.get('ARTIFACTS_DIR', { infer: true }));
    this.maxBytes = config.get('ARTIFACT_MAX_BYTES', { infer: true });
    this.quotaBytes = config.get('USER_STORAGE_QUOTA_MB', { infer: true }) * MIB;
  }

  /**
   * Writes (or replaces, for a retried attempt) the file; `path` is relative to ARTIFACTS_DIR. Data over
   * ARTIFACT_MAX_BYTES rejects with ArtifactTooLargeError before anything is written; a failed write leaves
   * nothing behind.
   */
  async write(jobId: string, filename: string, data: Buffer): Promise<{ path: string; bytes: number }> {
    assertSafeSegment(jobId, 'job id');
    assertSafeSegment(filename, 'filename');
    if (data.length > this.maxBytes) throw new ArtifactTooLargeError(data.length, this.maxBytes);
    const dir = join(this.root, jobId);
    await mkdir(dir, { recursive: true });
    // Write aside, then rename: a reader never sees half a file.
    const temporary = join(dir, `.${randomUUID()}.tmp`);
    try {
      await writeFile(temporary, data);
      await rename(temporary, join(dir, filename));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return { path: `${jobId}/${filename}`, bytes: data.length };
  }

  /**
   * A stream of a stored file, once it is open. A missing file rejects with AppError NOT_FOUND (404);
   * a path that leads outside ARTIFACTS_DIR throws.
   */
  async open(relativePath: string): Promise<ReadStream> {
    const full = resolve(this.root, relativePath);
    const inside = relative(this.root, full);
    if (!inside || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside))
      throw new Error(`Artifact path escapes ARTIFACTS_DIR: ${relativePath}`);
    const stream = createReadStream(full);
    return new Promise((resolveOpen, rejectOpen) => {
      stream.once('ready', () => resolveOpen(stream));
      stream.once('error', (error: NodeJS.ErrnoException) =>
        rejectOpen(
          error.code === 'ENOENT' || error.code === 'EISDIR'
            ? new AppError('NOT_FOUND', 'Artifact not found')
            : error,
        ),
      );
    });
  }

  /** Deletes every file of the job; nothing to delete is fine. */
  async remove(jobId: string): Promise<void> {
    assertSafeSegment(jobId, 'job id');
    await rm(join(this.root, jobId), { recursive: true, force: true });
  }
}

function assertSafeSegment(value: string, what: string) {
  if (!SAFE_SEGMENT.test(value))
    throw new Error(
      `Unsafe ${what} "${value}": use letters, digits, ".", "_" and "-" only, not starting with "."`,
    );
}
