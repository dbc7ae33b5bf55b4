import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { LessThan, Repository } from 'typeorm';
import type { Env } from '../../config/env';
import { REDIS } from '../redis/redis.module';
import { JobEntity } from './entities/job.entity';
import { JobLogWriter } from './job-log-writer';
import { EntryState, JobQueue } from './job-queue';
import { JobStore } from './job-store';
import { attemptsLeft } from './jobs.queue';

const BATCH = 500;
/** A PENDING row younger than this may still be on its way into the queue. */
const PENDING_GRACE_MS = 10_000;
const GONE = new Set<EntryState>(['missing', 'completed', 'failed', 'unknown']);

/**
 * PostgreSQL is the record, the queue the trigger; this keeps them agreeing. A PENDING row without a live
 * queue entry is enqueued again (under its own id, so never twice); a PROCESSING row whose queue entry has
 * ended (its worker lost the job) is queued again with the runs it had left, or failed. One worker at a time,
 * through a Redis lock.
 */
@Injectable()
export class JobReconciler {
  private readonly logger = new Logger(JobReconciler.name);

  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly queue: JobQueue,
    private readonly store: JobStore,
    private readonly logs: JobLogWriter,
    private readonly config: ConfigService<Env, true>,
  ) {}

  async runOnce(lockMs = 30_000): Promise<{ enqueued: number; repaired: number }> {
    const token = randomUUID();
    const lock = `${this.config.get('QUEUE_PREFIX', { infer: true })}:reconciler`;
    if (!(await this.redis.set(lock, token, 'PX', lockMs, 'NX'))) return { enqueued: 0, repaired: 0 };
    try {
      const enqueued = await this.enqueueOrphans();
      const repaired = await this.repairLost();
      return { enqueued, repaired };
    } finally {
      await this.redis.eval(
        `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end`,
        1,
        lock,
        token,
      );
    }
  }

  /** One PENDING job without a live queue entry, queued at once (see RunJobProcessor): false otherwise. */
  async requeueIfOrphaned(id: string): Promise<boolean> {
    const job = await this.jobs.findOneBy({ id, status: 'PENDING' });
    if (!job || !GONE.has(await this.queue.state(id))) return false;
    return this.queue.requeue(job, attemptsLeft(job));
  }

  /** A job whose worker keeps dying while running it: FAILED for good, logged (see RunJobProcessor). */
  async quarantine(id: string, stalls: number) {
    const job = await this.store.quarantine(id, stalls);
    if (!job) return;
    this.logger.error(
      { jobId: id, stalls },
      `Job quarantined: its worker stopped ${stalls} times while running it`,
    );
  }

  private async enqueueOrphans() {
    const pending = await this.jobs.find({
      where: { status: 'PENDING', updatedAt: LessThan(new Date(Date.now() - PENDING_GRACE_MS)) },
      order: { updatedAt: 'ASC' },
      take: BATCH,
    });
    let enqueued = 0;
    for (const job of pending) {
      if (!GONE.has(await this.queue.state(job.id))) continue;
      // The line first: once queued, the job can start (and log that) before a line written after.
      await this.logs.append(job.id, 'warn', 'Re-enqueued by the reconciler: it had no queue entry');
      await this.queue.requeue(job, attemptsLeft(job)).catch(async (error: unknown) => {
        await this.logs.append(job.id, 'warn', 'Not re-enqueued after all: the queue is unavailable');
        throw error;
      });
      enqueued++;
    }
    if (enqueued) this.logger.warn(`Re-enqueued ${enqueued} PENDING job(s) without a queue entry`);
    return enqueued;
  }

  private async repairLost() {
    const lockMs = this.config.get('WORKER_LOCK_DURATION_MS', { infer: true });
    const stalledMs = this.config.get('WORKER_STALLED_INTERVAL_MS', { infer: true });
    const processing = await this.jobs.find({
      where: { status: 'PROCESSING', updatedAt: LessThan(new Date(Date.now() - lockMs - stalledMs)) },
      order: { updatedAt: 'ASC' },
      take: BATCH,
    });
    let repaired = 0;
    for (const job of processing) {
      // A live entry (active, or back in wait after a stall) is BullMQ's to recover.
      const state = await this.queue.state(job.id);
      if (!GONE.has(state)) continue;
      // Given up by BullMQ for stalling too often (its worker's 'failed' event did not reach the row).
      const stalls = state === 'failed' ? await this.queue.stallsIfGivenUp(job.id) : undefined;
      if (stalls !== undefined) {
        await this.quarantine(job.id, stalls);
        repaired++;
        continue;
      }
      // A lost attempt is like a stalled one: it does not count, so the job gets one more run even when no
      // retries are left, and the runs it had left before.
      if (job.attempts <= job.maxRetries + 1) {
        await this.store.requeueLost(job.id, job.attempts, (lost) =>
          this.queue.requeue(lost, attemptsLeft(lost, 1)),
        );
      } else {
        await this.store.fail(job.id, job.attempts, 'Worker lost the job and no retries are left');
        await this.logs.append(job.id, 'warn', 'Repaired by the reconciler: its worker lost the job');
      }
      repaired++;
    }
    return repaired;
  }
}
