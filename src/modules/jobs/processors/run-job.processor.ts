import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnModuleDestroy } from '@nestjs/common';
import { Job, UnrecoverableError, WorkerOptions } from 'bullmq';
import { isUUID } from 'class-validator';
import { PrivateTargetError } from '@app/common/net/outbound-http';
import { ArtifactStore, artifactUrl } from '../artifacts/artifact-store';
import { JobTypeRegistry } from '../job-type-registry';
import { JobCancellation, JobCancelledError } from '../job-cancellation';
import { JobLogWriter } from '../job-log-writer';
import { JobStore } from '../job-store';
import type { JobContext } from '../job-types/job-type';
import { JOBS_QUEUE, retryDelayMs, RunJobData } from '../jobs.queue';

export class JobTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Job timed out after ${timeoutMs} ms`);
    this.name = 'JobTimeoutError';
  }
}

/** Thrown for a failed attempt with retries left; carries the delay already recorded as nextRetryAt. */
class RetryableJobError extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/**
 * The worker's options. The decorator is evaluated at import, before configuration is read, so JobWorkers
 * fills this object in from the environment before it registers (creates) the worker.
 */
export const RUN_JOB_WORKER_OPTIONS: Partial<WorkerOptions> = {
  settings: {
    backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
      error instanceof RetryableJobError ? error.delayMs : retryDelayMs(attemptsMade),
  },
};

const errorMessage = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).slice(0, 2000);

/**
 * Runs one attempt of a job: PENDING → PROCESSING, the handler with its AbortSignal (cancel, timeout), then
 * DONE, PENDING-with-retry or FAILED. Every write is conditional on this attempt still being current, so a
 * cancelled job or a newer attempt is never overwritten. Registered only in worker processes (JobsModule).
 */
@Processor(JOBS_QUEUE, RUN_JOB_WORKER_OPTIONS)
export class RunJobProcessor extends WorkerHost implements OnModuleDestroy {
  private readonly logger = new Logger(RunJobProcessor.name);
  shutdownGraceMs = 10_000;
  /** Set by JobWorkers once this process runs jobs (API-only processes never create the worker). */
  registered = false;

  constructor(
    private readonly store: JobStore,
    private readonly registry: JobTypeRegistry,
    private readonly cancellation: JobCancellation,
    private readonly artifacts: ArtifactStore,
    private readonly logs: JobLogWriter,
  ) {
    super();
  }

  async process(queued: Job<RunJobData>): Promise<void> {
    const { jobId } = queued.data;
    // Only ours are uuids; anything else (added by hand, through the queue board) would fail the shared start
    // statement for every job starting with it.
    if (typeof jobId !== 'string' || !isUUID(jobId)) throw new UnrecoverableError('Not a Conveyor job');
    // Listen for a cancel before the row says PROCESSING, so a cancel right at the start is not missed.
    const controller = new AbortController();
    const untrack = this.cancellation.track(jobId, controller);
    const job = await this.store.start(jobId);
    if (!job || controller.signal.aborted) return untrack(); // cancelled, finished or deleted: nothing to run
    const attempt = job.attempts;
    const handler = this.registry.get(job.type);
    if (!handler) {
      untrack();
      await this.store.fail(jobId, attempt, `No handler for job type '${job.type}' in this worker`);
      throw new UnrecoverableError(`No handler for ${job.type}`);
    }

    const timer = setTimeout(() => controller.abort(new JobTimeoutError(job.timeoutMs)), job.timeoutMs);
    let artifact: { path: string; contentType: string } | undefined;
    let lastProgress = 0;
    let progressWrites = Promise.resolve();
    const context: JobContext = {
      jobId,
      userId: job.userId,
      attempt,
      lifetimeAttempt: job.attemptsTotal,
      signal: controller.signal,
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
        artifact = { path: saved.path, contentType };
        return { url: artifactUrl(jobId), bytes: saved.bytes };
      },
    };

    try {
      const payload = this.registry.instantiate(job.type, job.payload);
      const result = await untilAborted(handler.instance.run(payload, context), controller.signal);
      await progressWrites;
      await this.logs.flush(jobId);
      await this.store.succeed(jobId, attempt, result, artifact);
    } catch (error) {
      const reason: unknown = controller.signal.reason;
      await progressWrites;
      await this.logs.flush(jobId);
      if (reason instanceof JobCancelledError) {
        await this.logs.append(jobId, 'warn', `Attempt ${attempt} stopped: the job was cancelled`);
        return; // the row is already CANCELLED; the queue entry completes quietly
      }
      const message = reason instanceof JobTimeoutError ? reason.message : errorMessage(error);
      const retriesLeft = queued.attemptsMade + 1 < (queued.opts.attempts ?? 1);
      if (retriesLeft && !(error instanceof PrivateTargetError)) {
        const delayMs = retryDelayMs(queued.attemptsMade + 1);
        await this.store.scheduleRetry(jobId, attempt, message, delayMs);
        throw new RetryableJobError(message, delayMs);
      }
      await this.store.fail(jobId, attempt, message);
      throw new UnrecoverableError(message);
    } finally {
      clearTimeout(timer);
      untrack();
    }
  }

  /**
   * SIGTERM: stop taking jobs, let running ones finish within the grace period, then leave the rest (their
   * locks lapse and another worker's stalled check re-queues them). In onModuleDestroy, not later: the global
   * CQRS EventBus unsubscribes every event handler in its own onModuleDestroy (global modules go last), so
   * jobs that finish after it would lose their log lines, realtime events and webhook enqueue. pause() does
   * the waiting: BullMQ keeps the promise of the first close(), so a close(true) after a close() would still
   * wait for every job. Then the log lines of finished attempts are written before the database closes.
   */
  async onModuleDestroy() {
    if (!this.registered || !this.worker.isRunning()) return;
    const finished = this.worker.pause().then(
      () => false,
      () => false,
    );
    const timedOut = await Promise.race([
      finished,
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), this.shutdownGraceMs).unref()),
    ]);
    if (timedOut) {
      this.logger.warn(`Jobs still running after ${this.shutdownGraceMs} ms: leaving them to another worker`);
    }
    await this.worker.close(timedOut);
    await this.logs.drain();
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
