import { applyDecorators, Injectable, SetMetadata, Type } from '@nestjs/common';

/** What a job type's run gets for one attempt of one job. */
export interface JobContext {
  readonly jobId: string;
  readonly userId: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** This attempt's number over the job's whole life (a retry or a replay resets `attempt`, not this). */
  readonly lifetimeAttempt: number;
  /** Fires on cancel and on timeout: stop work and throw (e.g. `signal.throwIfAborted()`). */
  readonly signal: AbortSignal;
  /** A line in the job's log (GET /api/jobs/:id/logs). */
  log(message: string, level?: 'info' | 'warn' | 'error'): void;
  /** 0–100; shown on the job and pushed to its realtime subscribers. */
  progress(percent: number): void;
  /**
   * ARTIFACT_MAX_BYTES: saveArtifact refuses a larger file (ArtifactTooLargeError, the attempt fails for good).
   * A type that produces its file piece by piece stops once it is past this.
   */
  readonly maxArtifactBytes: number;
  /**
   * Keeps a file the job produced; it is served by GET /api/jobs/:id/artifact to the job's owner. It is kept
   * only if the attempt succeeds and its owner's kept files stay within USER_STORAGE_QUOTA_MB.
   */
  saveArtifact(file: {
    data: Buffer;
    filename: string;
    contentType: string;
  }): Promise<{ url: string; bytes: number }>;
}

export interface JobRunner<Payload extends object = object, Result = unknown> {
  run(payload: Payload, context: JobContext): Promise<Result>;
}

export const JOB_TYPE = 'conveyor:job-type';

export interface JobTypeMetadata {
  type: string;
  /** class-validator class the payload is validated against at submission (and documented in Swagger). */
  payload: Type<object>;
}

const OUTBOUND_URLS = 'conveyor:outbound-urls';

/**
 * Marks a payload field as a URL the job will call: with private targets not allowed, a literal private host
 * there is refused at submission with a 400 naming the field (as `webhookUrl` is), not only when the job runs.
 */
export const OutboundUrl = (): PropertyDecorator => (target, key) =>
  Reflect.defineMetadata(
    OUTBOUND_URLS,
    [...outboundUrlFields(target.constructor), String(key)],
    target.constructor,
  );

export const outboundUrlFields = (payload: object): string[] =>
  (Reflect.getMetadata(OUTBOUND_URLS, payload) as string[] | undefined) ?? [];

/** Marks a provider as the implementation of one job type; the registry discovers it at start. */
export const JobType = (type: string, payload: Type<object>) =>
  applyDecorators(Injectable(), SetMetadata(JOB_TYPE, { type, payload } satisfies JobTypeMetadata));
