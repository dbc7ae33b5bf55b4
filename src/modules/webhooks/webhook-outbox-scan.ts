import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CommandBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { Env } from '../../config/env';
import { JobOutbox } from '../jobs/job-outbox';
import { EnqueueDeliveryCommand } from './commands/enqueue-delivery/enqueue-delivery.command';

/** A final event younger than this may still be on its way into the queue from the process that finished it. */
const GRACE_MS = 10_000;
const BATCH = 500;

/**
 * The outbox's sweeper: finished jobs whose final event was never queued (their process died first, or Redis
 * refused) are queued here, by every worker process every RECONCILE_INTERVAL_MS. Several at once do no harm:
 * the delivery id derives from the finish, so queuing one delivery twice is a no-op.
 */
@Injectable()
export class WebhookOutboxScan implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebhookOutboxScan.name);

  constructor(
    private readonly outbox: JobOutbox,
    private readonly commands: CommandBus,
    private readonly config: ConfigService<Env, true>,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap() {
    if (this.config.get('PROCESS_ROLE', { infer: true }) === 'api') return;
    const every = this.config.get('RECONCILE_INTERVAL_MS', { infer: true });
    const scan = () =>
      void this.runOnce().catch((error: unknown) => this.logger.warn({ err: error }, 'Outbox scan failed'));
    this.scheduler.addInterval('webhook-outbox-scan', setInterval(scan, every));
  }

  /** Queues the final events that are due; how many were queued. */
  async runOnce(graceMs = GRACE_MS): Promise<number> {
    let queued = 0;
    for (const job of await this.outbox.due(graceMs, BATCH)) {
      await this.commands.execute(new EnqueueDeliveryCommand(job)).then(
        () => queued++,
        (error: unknown) => this.logger.warn({ err: error, jobId: job.id }, 'Webhook still not queued'),
      );
    }
    if (queued) this.logger.warn(`Queued ${queued} webhook(s) a finished job's process had left unqueued`);
    return queued;
  }
}
