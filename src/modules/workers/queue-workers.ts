import { BullRegistrar, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import { Queue, Worker } from 'bullmq';
import type { Env } from '../../config/env';
import { JobLogWriter } from '../jobs/job-log-writer';
import { JobThreadPool } from '../jobs/job-threads/job-thread-pool';
import { queueWorkerDefinitions } from './worker-options';

/**
 * Starts every BullMQ worker in `worker` and `all` processes (never in `api`), logs every queue's and worker's
 * errors through the application logger, and stops the workers gracefully at shutdown.
 */
@Injectable()
export class QueueWorkers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(QueueWorkers.name);
  private running: { worker: Worker; entries: string }[] = [];

  constructor(
    private readonly config: ConfigService<Env, true>,
    private readonly registrar: BullRegistrar,
    private readonly discovery: DiscoveryService,
    private readonly moduleRef: ModuleRef,
    private readonly logs: JobLogWriter,
    private readonly threads: JobThreadPool,
  ) {}

  /** After every module's init: job cancellation listens by then (JobMaintenance), so no job starts unheard. */
  onApplicationBootstrap() {
    this.logQueueErrors();
    if (this.config.get('PROCESS_ROLE', { infer: true }) === 'api') return;
    const definitions = queueWorkerDefinitions(this.config);
    // @nestjs/bullmq creates each worker, in register(), from its @Processor decorator's metadata only, and a
    // BullMQ Worker fixes its lock renewal in its constructor. The decorators ran at import, before configuration
    // was validated, so the configured options are put in here by applying the same decorator again with them,
    // right before the workers are created.
    for (const { queue, processor, options } of definitions) Processor(queue, options)(processor);
    this.registrar.register();
    for (const { queue, processor, entries } of definitions) {
      const { worker } = this.moduleRef.get<WorkerHost>(processor, { strict: false });
      worker.on('error', (error) => this.logger.error({ err: error, queue }, 'Worker error'));
      this.running.push({ worker, entries });
      this.logger.log(`Running ${queue} with concurrency ${worker.concurrency}`);
    }
  }

  /**
   * SIGTERM: stop taking entries, let running ones finish within the grace period, then leave the rest (their
   * locks lapse and another worker's stalled check re-queues them). In onModuleDestroy, not later: the global
   * CQRS EventBus unsubscribes every event handler in its own onModuleDestroy (global modules go last), so
   * jobs and deliveries that finish after it would lose their log lines, realtime events and webhook enqueue.
   * pause() does the waiting: BullMQ keeps the promise of the first close(), so a close(true) after a close()
   * would still wait for every job. Then the log lines of finished attempts are written before the database
   * closes. The job threads go last: no attempt is left to use them (one still running past the grace period
   * is ended with its thread, and another worker takes the job again).
   */
  async onModuleDestroy() {
    if (this.running.length === 0) return;
    const graceMs = this.config.get('SHUTDOWN_GRACE_MS', { infer: true });
    await Promise.all(this.running.map(({ worker, entries }) => this.stop(worker, entries, graceMs)));
    await this.logs.drain();
    await this.threads.destroy();
  }

  private async stop(worker: Worker, entries: string, graceMs: number) {
    if (!worker.isRunning()) return;
    const finished = worker.pause().then(
      () => false,
      () => false,
    );
    const timedOut = await Promise.race([
      finished,
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref()),
    ]);
    if (timedOut)
      this.logger.warn(`${entries} still running after ${graceMs} ms: leaving them to another worker`);
    await worker.close(timedOut);
  }

  /** A queue without an error listener prints its connection errors with console.error, past the log's redaction. */
  private logQueueErrors() {
    for (const { instance } of this.discovery.getProviders()) {
      if (!(instance instanceof Queue) || instance.listenerCount('error') > 0) continue;
      instance.on('error', (error) =>
        this.logger.warn({ err: error, queue: instance.name }, 'Queue connection error'),
      );
    }
  }
}
