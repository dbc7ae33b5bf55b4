import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Env, validateEnv } from '../../../src/config/env';
import { ArtifactStore, artifactUrl } from '../../../src/modules/jobs/artifacts/artifact-store';
import type { JobContext } from '../../../src/modules/jobs/job-types/job-type';

/** A real ConfigService over the validated defaults plus `overrides` (which win over process.env). */
export function testConfig(overrides: Partial<Record<keyof Env, string>> = {}): ConfigService<Env, true> {
  return new ConfigService<Env, true>(validateEnv(overrides));
}

export interface TestingContext {
  context: JobContext;
  /** Aborts `context.signal`, as a cancel or a timeout would. */
  controller: AbortController;
  logs: { level: 'info' | 'warn' | 'error'; message: string }[];
  progress: number[];
  artifacts: { path: string; bytes: number; contentType: string }[];
  store: ArtifactStore;
  /** Deletes the temporary artifacts directory. */
  cleanup(): void;
}

/**
 * A JobContext for handler tests: collects log lines and progress values, and saves artifacts through a
 * real ArtifactStore in a fresh temporary directory.
 */
export function testingContext(
  options: {
    attempt?: number;
    lifetimeAttempt?: number;
    jobId?: string;
    userId?: string;
    /** ARTIFACT_MAX_BYTES of the store. */
    maxArtifactBytes?: number;
  } = {},
): TestingContext {
  const jobId = options.jobId ?? randomUUID();
  const artifactsDir = mkdtempSync(join(tmpdir(), 'conveyor-artifacts-'));
  const store = new ArtifactStore(
    testConfig({
      ARTIFACTS_DIR: artifactsDir,
      ...(options.maxArtifactBytes && { ARTIFACT_MAX_BYTES: String(options.maxArtifactBytes) }),
    }),
  );
  const controller = new AbortController();
  const result: TestingContext = {
    controller,
    logs: [],
    progress: [],
    artifacts: [],
    store,
    cleanup: () => rmSync(artifactsDir, { recursive: true, force: true }),
    context: {
      jobId,
      userId: options.userId ?? randomUUID(),
      attempt: options.attempt ?? 1,
      lifetimeAttempt: options.lifetimeAttempt ?? options.attempt ?? 1,
      signal: controller.signal,
      maxArtifactBytes: store.maxBytes,
      log: (message, level = 'info') => result.logs.push({ level, message }),
      progress: (percent) => result.progress.push(percent),
      saveArtifact: async ({ data, filename, contentType }) => {
        const saved = await store.write(jobId, filename, data);
        result.artifacts.push({ ...saved, contentType });
        return { url: artifactUrl(jobId), bytes: saved.bytes };
      },
    },
  };
  return result;
}
