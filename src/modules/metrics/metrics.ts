import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JOBS_QUEUE } from '../jobs/jobs.queue';
import { WEBHOOKS_QUEUE } from '../webhooks/webhooks.queue';

export const METRICS_PREFIX = 'conveyor_';

/** The BullMQ states shown as `conveyor_queue_jobs{queue,state}`. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

/** Job run and wait times: from a few milliseconds to the longest timeouts and backlogs. */
const JOB_SECONDS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
];

const QUEUE_COUNTS_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No answer from Redis in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Every metric of this process, in a registry of its own: one per application instance, so a second app in
 * the same process (the e2e tests boot many) registers its metrics again without clashing.
 */
@Injectable()
export class Metrics {
  private readonly logger = new Logger(Metrics.name);
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: `${METRICS_PREFIX}http_request_duration_seconds`,
    help: 'HTTP request duration in seconds, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly jobsSubmitted = new Counter({
    name: `${METRICS_PREFIX}jobs_submitted_total`,
    help: 'Jobs submitted through the API (single or batch), by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly jobsFinished = new Counter({
    name: `${METRICS_PREFIX}jobs_finished_total`,
    help: 'Jobs that reached a final status (DONE, FAILED, CANCELLED), by type and status.',
    labelNames: ['type', 'status'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: `${METRICS_PREFIX}job_duration_seconds`,
    help: 'Run time of one job attempt (start to success, failure or scheduled retry), by type.',
    labelNames: ['type'] as const,
    buckets: JOB_SECONDS,
    registers: [this.registry],
  });

  readonly jobWait = new Histogram({
    name: `${METRICS_PREFIX}job_wait_seconds`,
    help: 'Time from submission to the start of the first attempt, by type.',
    labelNames: ['type'] as const,
    buckets: JOB_SECONDS,
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: `${METRICS_PREFIX}webhook_deliveries_total`,
    help: 'Webhook delivery attempts, by outcome (success or failure).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(@InjectQueue(JOBS_QUEUE) jobs: Queue, @InjectQueue(WEBHOOKS_QUEUE) webhooks: Queue) {
    const queues = [jobs, webhooks];
    const logger = this.logger;
    new Gauge({
      name: `${METRICS_PREFIX}queue_jobs`,
      help: 'Jobs in each BullMQ queue by state, read from Redis at scrape time.',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        await Promise.all(
          queues.map(async (queue) => {
            try {
              const counts = await withTimeout(queue.getJobCounts(...QUEUE_STATES), QUEUE_COUNTS_TIMEOUT_MS);
              for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
            } catch (error) {
              // A scrape still answers, without this queue's series, when Redis does not (BullMQ would wait).
              logger.warn({ err: error, queue: queue.name }, 'Queue counts not read');
            }
          }),
        );
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: METRICS_PREFIX });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
