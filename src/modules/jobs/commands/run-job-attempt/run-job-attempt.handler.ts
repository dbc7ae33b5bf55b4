import { Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { PrivateTargetError } from '@app/common/net/outbound-http';
import { ArtifactStore, artifactUrl } from '../../artifacts/artifact-store';
import { JobCancellation, JobCancelledError } from '../../job-cancellation';
import { JobLogWriter } from '../../job-log-writer';
import { JobStore } from '../../job-store';
import { JobTypeRegistry } from '../../job-type-registry';
import type { JobContext } from '../../job-types/job-type';
import { PermanentJobError } from '../../job-types/permanent-job-error';
import { retryDelayMs } from '../../jobs.queue';
import { RunJobAttemptCommand, RunJobAttemptOutcome } from './run-job-attempt.command';

export class JobTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Job timed out after ${timeoutMs} ms`);
    this.name = 'JobTimeoutError';
  }
}

const errorMessage = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).slice(0, 2000);

/**
 * One attempt of a job: PENDING → PROCESSING, the handler with its AbortSignal (cancel, timeout), then DONE,
 * PENDING-with-retry or FAILED. Every write is conditional on this attempt still being current, so a
 * cancelled job or a newer attempt is never overwritten.
 */
@CommandHandler(RunJobAttemptCommand)
export class RunJobAttemptHandler implements ICommandHandler<RunJobAttemptCommand> {
  private readonly logger = new Logger(RunJobAttemptHandler.name);

  constructor(
    private readonly store: JobStore,
    private readonly registry: JobTypeRegistry,
    private readonly cancellation: JobCancellation,
    private readonly artifacts: ArtifactStore,
    private readonly logs: JobLogWriter,
  ) {}

  async execute({ jobId, attemptsMade, maxAttempts }: RunJobAttemptCommand): Promise<RunJobAttemptOutcome> {
    // Listen for a cancel before the row says PROCESSING, so a cancel right at the start is not missed.
    const controller = new AbortController();
    const untrack = this.cancellation.track(jobId, controller);
    const job = await this.store.start(jobId);
    if (!job || controller.signal.aborted) {
      untrack();
      return { kind: 'skipped' };
    }
    const attempt = job.attempts;
    const handler = this.registry.get(job.type);
    if (!handler) {
      untrack();
      await this.store.fail(jobId, attempt, `No handler for job type '${job.type}' in this worker`);
      return { kind: 'failed', error: `No handler for ${job.type}` };
    }

    const timer = setTimeout(() => controller.abort(new JobTimeoutError(job.timeoutMs)), job.timeoutMs);
    let artifact: { path: string; contentType: string; bytes: number } | undefined;
    let lastProgress = 0;
    let progressWrites = Promise.resolve();
    const context: JobContext = {
      jobId,
      userId: job.userId,
      attempt,
      lifetimeAttempt: job.attemptsTotal,
      signal: controller.signal,
      maxArtifactBytes: this.artifacts.maxBytes,
      log: (message, level = 'info') => void this.logs.append(jobId, level, message),
      progress: (percent) => {
        if (!Number.isFinite(percent)) return;
        const value = Math.max(0, Math.min(100, Math.round(percent)));
        if (value === lastProgress || controller.signal.aborted) return;
        lastProgress = value;
        // Chained, and awaited before the outcome is written: progress events never trail the final one.
        progressWrites = progressWrites.then(() =>
          this.store
            .progress(jobId, attempt, value)
            .catch((error: unknown) => this.logger.warn({ err: error, jobId }, 'Progress not saved')),
        );
      },
      saveArtifact: async ({ data, filename, contentType }) => {
        const saved = await this.artifacts.write(jobId, filename, data);
        artifact = { ...saved, contentType };
        return { url: artifactUrl(jobId), bytes: saved.bytes };
      },
    };

    try {
      const payload = this.registry.instantiate(job.type, job.payload);
      const result = await untilAborted(handler.instance.run(payload, context), controller.signal);
      await progressWrites;
      await this.logs.flush(jobId);
      await this.store.succeed(
        jobId,
        attempt,
        result,
        artifact && { ...artifact, quotaBytes: this.artifacts.quotaBytes },
      );
      return { kind: 'done' };
    } catch (error) {
      const reason: unknown = controller.signal.reason;
      await progressWrites;
      await this.logs.flush(jobId);
      // A file this attempt wrote is kept only with its success (over the quota, it was refused).
      if (artifact) await this.discardArtifact(jobId);
      if (reason instanceof JobCancelledError) {
        await this.logs.append(jobId, 'warn', `Attempt ${attempt} stopped: the job was cancelled`);
        return { kind: 'cancelled' };
      }
      const message = reason instanceof JobTimeoutError ? reason.message : errorMessage(error);
      const retriesLeft = attemptsMade + 1 < maxAttempts;
      // Errors a retry cannot change (a refused target, a pixel bomb, a memory limit) end the job at once.
      const permanent = error instanceof PrivateTargetError || error instanceof PermanentJobError;
      if (retriesLeft && !permanent) {
        const delayMs = retryDelayMs(attemptsMade + 1);
        await this.store.scheduleRetry(jobId, attempt, message, delayMs);
        return { kind: 'retry', error: message, delayMs };
      }
      await this.store.fail(jobId, attempt, message);
      return { kind: 'failed', error: message };
    } finally {
      clearTimeout(timer);
      untrack();
    }
  }

  private async discardArtifact(jobId: string) {
    await this.artifacts
      .remove(jobId)
      .catch((error: unknown) => this.logger.warn({ err: error, jobId }, 'Unkept artifact not removed'));
  }
}

/** The handler's promise, or a rejection with the signal's reason as soon as it fires. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
