import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventBus } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { LessThan, Repository } from 'typeorm';
import type { Env } from '../../config/env';
import { REDIS } from '../redis/redis.module';
import { JobEntity } from './entities/job.entity';
import { JobWebhookDueEvent } from './events/job-webhook-due.event';
import { toJobView } from './job-view';
import { JobLogWriter } from './job-log-writer';
import { JobStore } from './job-store';
import { JOBS_QUEUE, RUN_JOB, RunJobData, runJobOptions } from './jobs.queue';

const BATCH = 500;
/** A PENDING row younger than this may still be on its way into the queue. */
const PENDING_GRACE_MS = 10_000;
const GONE = new Set(['missing', 'completed', 'failed', 'unknown']);

/**
 * PostgreSQL is the record, the queue the trigger; this keeps them agreeing. A PENDING row without a live
 * queue entry is enqueued again (under its own id, so never twice); a PROCESSING row whose queue entry has
 * ended (its worker lost the job) is retried or failed. One worker at a time, through a Redis lock.
 */
@Injectable()
export class JobReconciler {
  private readonly logger = new Logger(JobReconciler.name);

  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    @InjectQueue(JOBS_QUEUE) private readonly queue: Queue<RunJobData>,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly store: JobStore,
    private readonly logs: JobLogWriter,
    private readonly config: ConfigService<Env, true>,
    private readonly events: EventBus,
  ) {}

  async runOnce(lockMs = 30_000): Promise<{ enqueued: number; repaired: number }> {
    const token = randomUUID();
    const lock = `${this.config.get('QUEUE_PREFIX', { infer: true })}:reconciler`;
    if (!(await this.redis.set(lock, token, 'PX', lockMs, 'NX'))) return { enqueued: 0, repaired: 0 };
    try {
      const enqueued = await this.enqueueOrphans();
      const repaired = await this.repairLost();
      await this.republishDueWebhooks();
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

  private async state(id: string): Promise<string> {
    const queued = await this.queue.getJob(id);
    return queued ? await queued.getState() : 'missing';
  }

  private async requeue(job: JobEntity) {
    await this.queue.remove(job.id).catch(() => 0);
    await this.queue.add(RUN_JOB, { jobId: job.id }, runJobOptions(job));
  }

  private async enqueueOrphans() {
    const pending = await this.jobs.find({
      where: { status: 'PENDING', updatedAt: LessThan(new Date(Date.now() - PENDING_GRACE_MS)) },
      order: { updatedAt: 'ASC' },
      take: BATCH,
    });
    let enqueued = 0;
    for (const job of pending) {
      if (!GONE.has(await this.state(job.id))) continue;
      await this.requeue(job);
      await this.logs.append(job.id, 'warn', 'Re-enqueued by the reconciler: it had no queue entry');
      enqueued++;
    }
    if (enqueued) this.logger.warn(`Re-enqueued ${enqueued} PENDING job(s) without a queue entry`);
    return enqueued;
  }

  /** Finished jobs whose webhook was never queued (outbox flag still set): ask the Webhooks module again. */
  private async republishDueWebhooks() {
    const due = await this.jobs.find({
      where: { webhookPending: true, finishedAt: LessThan(new Date(Date.now() - PENDING_GRACE_MS)) },
      take: BATCH,
    });
    for (const job of due) this.events.publish(new JobWebhookDueEvent(toJobView(job)));
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
      if (!GONE.has(await this.state(job.id))) continue;
      // A lost attempt is like a stalled one: it gets one more run even when no retries are left.
      if (job.attempts <= job.maxRetries + 1) {
        const reset = await this.store.update(job.id, {
          where: `status = 'PROCESSING' AND attempts = $2`,
          set: `status = 'PENDING'`,
          params: [job.attempts],
        });
        if (reset) await this.requeue(reset);
      } else {
        await this.store.fail(job.id, job.attempts, 'Worker lost the job and no retries are left');
      }
      await this.logs.append(job.id, 'warn', 'Repaired by the reconciler: its worker lost the job');
      repaired++;
    }
    return repaired;
  }
}
