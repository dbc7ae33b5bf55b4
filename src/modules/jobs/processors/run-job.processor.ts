import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DelayedError, Job, UnrecoverableError, WaitingError } from 'bullmq';
import { isUUID } from 'class-validator';
import { RunJobAttemptCommand } from '../commands/run-job-attempt/run-job-attempt.command';
import { JobSlots } from '../fair-share/job-slots';
import { STALLED_TOO_OFTEN } from '../job-queue';
import { JobReconciler } from '../job-reconciler';
import { JOBS_QUEUE, retryDelayMs, RunJobData } from '../jobs.queue';

/** Thrown for a failed attempt with retries left; carries the delay already recorded as nextRetryAt. */
export class RetryableJobError extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/** The jobs worker's backoff (QueueWorkers gives it to the worker): the delay the attempt recorded. */
export const runJobBackoff = (attemptsMade: number, _type?: string, error?: Error) =>
  error instanceof RetryableJobError ? error.delayMs : retryDelayMs(attemptsMade);

/**
 * Runs one attempt of a queued job (RunJobAttemptCommand) and tells BullMQ how it ended: a retry is an error
 * whose delay `runJobBackoff` uses, a final failure an UnrecoverableError. Its worker is started by
 * QueueWorkers, in worker processes only.
 */
@Processor(JOBS_QUEUE)
export class RunJobProcessor extends WorkerHost {
  /** Jobs whose cancelled attempt is letting go of its queue entry: a retry meanwhile could not queue them. */
  private readonly lettingGo = new Set<string>();
  private readonly logger = new Logger(RunJobProcessor.name);

  constructor(
    private readonly commands: CommandBus,
    private readonly reconciler: JobReconciler,
    private readonly slots: JobSlots,
  ) {
    super();
  }

  async process(queued: Job<RunJobData>, token?: string): Promise<void> {
    const { jobId } = queued.data;
    // Only ours are uuids; anything else (added by hand, through the queue board) would fail the shared start
    // statement for every job starting with it.
    if (typeof jobId !== 'string' || !isUUID(jobId)) throw new UnrecoverableError('Not a Conveyor job');
    // Over its owner's cap the entry is held (back in delayed); or it gave its turn to a better job of its
    // owner (back in waiting). Neither counts an attempt: BullMQ's moves skip attemptsMade, and the row's
    // attempts move only in the attempt's start.
    const taken = await this.slots.acquire(queued, token);
    if (!taken.run) throw taken.went === 'delayed' ? new DelayedError() : new WaitingError();
    let outcome;
    try {
      outcome = await this.commands.execute(
        new RunJobAttemptCommand(jobId, queued.attemptsMade, queued.opts.attempts ?? 1),
      );
    } finally {
      if (taken.slot) await this.slots.releaseQuietly(taken.slot);
    }
    if (outcome.kind === 'retry') throw new RetryableJobError(outcome.error, outcome.delayMs);
    if (outcome.kind === 'failed') throw new UnrecoverableError(outcome.error);
    if (outcome.kind === 'cancelled') this.lettingGo.add(jobId);
    // done, cancelled (the row is already CANCELLED) or skipped: the queue entry completes quietly
  }

  /**
   * An entry that stalled more than JOB_MAX_STALLS times (its worker died running it each time) is failed by
   * BullMQ when a worker next takes it, without running it: the job is quarantined, never picked up again.
   */
  @OnWorkerEvent('failed')
  quarantineIfStalledOut(queued: Job<RunJobData> | undefined) {
    if (!queued || queued.deferredFailure !== STALLED_TOO_OFTEN) return;
    const { jobId } = queued.data;
    // If this fails, the reconciler quarantines the job on its next run.
    this.reconciler
      .quarantine(jobId, queued.stalledCounter)
      .catch((error: unknown) => this.logger.warn({ err: error, jobId }, 'Stalled-out job not failed yet'));
  }

  /** The entry of a cancelled attempt is gone: a job retried in the meantime is queued now, not later. */
  @OnWorkerEvent('completed')
  queueRetriedMeanwhile(queued: Job<RunJobData>) {
    const { jobId } = queued.data;
    if (!this.lettingGo.delete(jobId)) return;
    // If this fails too, the job stays PENDING without an entry until the reconciler's next run.
    this.reconciler
      .requeueIfOrphaned(jobId)
      .catch((error: unknown) => this.logger.warn({ err: error, jobId }, 'Retried job not queued yet'));
  }
}
