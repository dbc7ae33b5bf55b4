import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { JobEntity } from './entities/job.entity';
import { JobStore } from './job-store';
import { JobView, toJobView } from './job-view';

/**
 * The webhook outbox, as the Webhooks module sees it. The UPDATE that finishes a job with a webhookUrl also
 * sets its `webhook_pending` flag, so a process that dies before the final event is queued loses nothing:
 * Webhooks queues what is `due()` and calls `markQueued()` once the delivery is in its queue.
 */
@Injectable()
export class JobOutbox {
  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    private readonly store: JobStore,
  ) {}

  /** The oldest finished jobs whose final event has waited longer than `graceMs` to be queued. */
  async due(graceMs: number, limit: number): Promise<JobView[]> {
    const jobs = await this.jobs.find({
      where: { webhookPending: true, finishedAt: LessThan(new Date(Date.now() - graceMs)) },
      order: { finishedAt: 'ASC' },
      take: limit,
    });
    return jobs.map(toJobView);
  }

  /** The final event of the finish at `finishedAt` is queued for delivery. */
  markQueued(jobId: string, finishedAt: string): Promise<void> {
    return this.store.markWebhookQueued(jobId, finishedAt);
  }
}
