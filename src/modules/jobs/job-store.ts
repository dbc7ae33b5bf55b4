import { Injectable, Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { JobEntity } from './entities/job.entity';
import { JobCancelledEvent } from './events/job-cancelled.event';
import { JobFailedEvent } from './events/job-failed.event';
import { JobProgressedEvent } from './events/job-progressed.event';
import { JobRetryScheduledEvent } from './events/job-retry-scheduled.event';
import { JobStartedEvent } from './events/job-started.event';
import { JobSucceededEvent } from './events/job-succeeded.event';
import { JobCache } from './job-cache';
import { toJobView } from './job-view';

type Changes = Record<string, unknown>;

/**
 * Every status change of a job, each one a single conditional UPDATE: a CANCELLED job never becomes DONE,
 * and a late attempt (`attempts` moved on) cannot overwrite a newer one. A change that applies invalidates
 * the cache before its event is published, so a read right after never shows the old state.
 */
@Injectable()
export class JobStore {
  private readonly logger = new Logger(JobStore.name);

  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    private readonly cache: JobCache,
    private readonly events: EventBus,
  ) {}

  /** PENDING (or PROCESSING left by a dead worker) → PROCESSING, counting the attempt. */
  async start(id: string) {
    const job = await this.update(
      id,
      `status IN ('PENDING', 'PROCESSING')`,
      {},
      {
        status: 'PROCESSING',
        attempts: () => 'attempts + 1',
        attemptsTotal: () => 'attempts_total + 1',
        startedAt: () => 'now()',
        nextRetryAt: null,
        progress: 0,
      },
    );
    if (job) this.events.publish(new JobStartedEvent(toJobView(job)));
    return job;
  }

  async progress(id: string, attempt: number, percent: number) {
    const job = await this.update(
      id,
      `status = 'PROCESSING' AND attempts = :attempt`,
      { attempt },
      { progress: percent },
    );
    if (job) this.events.publish(new JobProgressedEvent(toJobView(job)));
  }

  async succeed(
    id: string,
    attempt: number,
    result: unknown,
    artifact?: { path: string; contentType: string },
  ) {
    const job = await this.update(
      id,
      `status = 'PROCESSING' AND attempts = :attempt`,
      { attempt },
      {
        status: 'DONE',
        result: result ?? null,
        error: null,
        progress: 100,
        finishedAt: () => 'now()',
        webhookPending: () => 'webhook_url IS NOT NULL',
        ...(artifact ? { artifactPath: artifact.path, artifactContentType: artifact.contentType } : {}),
      },
    );
    if (job) this.events.publish(new JobSucceededEvent(toJobView(job)));
    return job;
  }

  async scheduleRetry(id: string, attempt: number, error: string, delayMs: number) {
    const job = await this.update(
      id,
      `status = 'PROCESSING' AND attempts = :attempt`,
      { attempt },
      { status: 'PENDING', error, nextRetryAt: () => `now() + make_interval(secs => :delaySeconds)` },
      { delaySeconds: delayMs / 1000 },
    );
    if (job) this.events.publish(new JobRetryScheduledEvent(toJobView(job)));
    return job;
  }

  async fail(id: string, attempt: number | null, error: string) {
    const job = await this.update(
      id,
      attempt === null
        ? `status IN ('PENDING', 'PROCESSING')`
        : `status = 'PROCESSING' AND attempts = :attempt`,
      { attempt },
      {
        status: 'FAILED',
        error,
        nextRetryAt: null,
        finishedAt: () => 'now()',
        webhookPending: () => 'webhook_url IS NOT NULL',
      },
    );
    if (job) this.events.publish(new JobFailedEvent(toJobView(job)));
    return job;
  }

  /** PENDING or PROCESSING → CANCELLED; undefined when the job was in neither (or is not the user's). */
  async cancel(id: string, userId: string) {
    const job = await this.update(
      id,
      `user_id = :userId AND status IN ('PENDING', 'PROCESSING')`,
      { userId },
      {
        status: 'CANCELLED',
        nextRetryAt: null,
        finishedAt: () => 'now()',
        webhookPending: () => 'webhook_url IS NOT NULL',
      },
    );
    if (job) this.events.publish(new JobCancelledEvent(toJobView(job)));
    return job;
  }

  /**
   * One conditional `UPDATE … RETURNING *`. `set` values that are functions are SQL expressions.
   * Runs in `manager` when given (to join a caller's transaction; the caller then invalidates).
   */
  async update(
    id: string,
    condition: string,
    conditionParams: Record<string, unknown>,
    set: Changes,
    setParams: Record<string, unknown> = {},
    manager?: EntityManager,
  ): Promise<JobEntity | undefined> {
    const result = await (manager ?? this.jobs.manager)
      .createQueryBuilder()
      .update(JobEntity)
      .set({ ...set, updatedAt: () => 'now()' })
      .where(`id = :id AND ${condition}`, { id, ...conditionParams, ...setParams })
      .returning('*')
      .execute();
    const row = (result.raw as Record<string, unknown>[])[0];
    if (!row) return undefined;
    if (!manager) await this.invalidate(id);
    return this.fromRow(row);
  }

  /**
   * The change is committed: its event must go out even if Redis is unreachable right now, so a failed
   * invalidation is retried in the background instead of failing the transition.
   */
  private async invalidate(id: string) {
    try {
      await this.cache.invalidate(id);
    } catch (error) {
      this.logger.warn({ err: error, jobId: id }, 'Cache not invalidated; retrying in the background');
      setTimeout(() => void this.cache.invalidate(id).catch(() => undefined), 1000).unref();
    }
  }

  /** A raw `jobs` row (snake_case) as an entity. */
  fromRow(row: Record<string, unknown>): JobEntity {
    const job = this.jobs.create();
    for (const column of this.jobs.metadata.columns) {
      (job as unknown as Record<string, unknown>)[column.propertyName] = row[column.databaseName];
    }
    return job;
  }
}
