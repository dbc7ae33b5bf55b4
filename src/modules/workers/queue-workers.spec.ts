import { BullModule, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { CommandBus } from '@nestjs/cqrs';
import { DiscoveryModule, DiscoveryService, ModuleRef } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { BullRegistrar } from '@nestjs/bullmq';
import { Queue, Worker, WorkerOptions } from 'bullmq';
import { fake } from '@app/testing/fake';
import { type Env, validateEnv } from '../../config/env';
import { JobSlots } from '../jobs/fair-share/job-slots';
import { JobLogWriter } from '../jobs/job-log-writer';
import { JobThreadPool } from '../jobs/job-threads/job-thread-pool';
import { JOBS_QUEUE } from '../jobs/jobs.queue';
import { JobReconciler } from '../jobs/job-reconciler';
import { runJobBackoff, RunJobProcessor } from '../jobs/processors/run-job.processor';
import {
  deliverWebhookBackoff,
  DeliverWebhookProcessor,
} from '../webhooks/processors/deliver-webhook.processor';
import { DeliverySlots } from '../webhooks/delivery-slots';
import { WEBHOOKS_QUEUE } from '../webhooks/webhooks.queue';
import { QueueWorkers } from './queue-workers';

/** Stands in for BullMQ's Worker (through @nestjs/bullmq's own hook for it) and keeps what it was given. */
class RecordingWorker {
  static created: RecordingWorker[] = [];
  readonly listeners: string[] = [];
  constructor(
    readonly name: string,
    readonly processor: unknown,
    readonly opts: WorkerOptions,
  ) {
    RecordingWorker.created.push(this);
  }
  get concurrency() {
    return this.opts.concurrency;
  }
  on(event: string) {
    this.listeners.push(event);
    return this;
  }
  isRunning() {
    return false;
  }
  close() {
    return Promise.resolve();
  }
}

describe(QueueWorkers.name, () => {
  describe('at start, through @nestjs/bullmq', () => {
    beforeAll(() => (BullModule.workerClass = RecordingWorker));
    afterAll(() => (BullModule.workerClass = Worker));
    beforeEach(() => (RecordingWorker.created = []));

    const start = async (env: Record<string, string>) => {
      const app = await Test.createTestingModule({
        imports: [
          ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: () => validateEnv(env) }),
          // As in AppModule: workers are created only when BullRegistrar.register() is called.
          BullModule.forRoot({ connection: {}, extraOptions: { manualRegistration: true } }),
          BullModule.registerQueue(), // no queue (nothing connects to Redis), only BullRegistrar
          DiscoveryModule,
        ],
        providers: [
          RunJobProcessor,
          DeliverWebhookProcessor,
          QueueWorkers,
          { provide: CommandBus, useValue: {} },
          { provide: JobReconciler, useValue: {} },
          { provide: JobSlots, useValue: {} },
          { provide: DeliverySlots, useValue: {} },
          { provide: JobLogWriter, useValue: { drain: () => Promise.resolve() } },
          { provide: JobThreadPool, useValue: { destroy: () => Promise.resolve() } },
        ],
      }).compile();
      await app.init(); // module init, then application bootstrap: the order of a real start
      return app;
    };

    it('creates every worker with the configured concurrency, lock duration and stalled interval', async () => {
      const app = await start({
        PROCESS_ROLE: 'worker',
        WORKER_CONCURRENCY: '7',
        WEBHOOK_CONCURRENCY: '12',
        WORKER_LOCK_DURATION_MS: '4321',
        WORKER_STALLED_INTERVAL_MS: '1234',
      });
      const jobs = app.get(RunJobProcessor).worker as unknown as RecordingWorker;
      const webhooks = app.get(DeliverWebhookProcessor).worker as unknown as RecordingWorker;
      expect(RecordingWorker.created).toEqual([jobs, webhooks]);
      expect(jobs.name).toBe(JOBS_QUEUE);
      expect(jobs.opts).toMatchObject({
        concurrency: 7,
        lockDuration: 4321,
        stalledInterval: 1234,
        maxStalledCount: 3,
        settings: { backoffStrategy: runJobBackoff },
      });
      expect(webhooks.name).toBe(WEBHOOKS_QUEUE);
      expect(webhooks.opts).toMatchObject({
        concurrency: 12,
        lockDuration: 4321,
        stalledInterval: 1234,
        maxStalledCount: 3, // like the jobs worker: a second stall does not lose the delivery
        settings: { backoffStrategy: deliverWebhookBackoff },
      });
      // Their errors go to the application log, not to console.error.
      expect(jobs.listeners).toContain('error');
      expect(webhooks.listeners).toContain('error');
      await app.close();
    });

    it('gives the jobs worker JOB_MAX_STALLS as its stall limit, and keeps three for webhook deliveries', async () => {
      const app = await start({ PROCESS_ROLE: 'worker', JOB_MAX_STALLS: '1' });
      const jobs = app.get(RunJobProcessor).worker as unknown as RecordingWorker;
      const webhooks = app.get(DeliverWebhookProcessor).worker as unknown as RecordingWorker;
      expect(jobs.opts.maxStalledCount).toBe(1);
      expect(webhooks.opts.maxStalledCount).toBe(3);
      await app.close();
    });

    it('starts no worker in an api process', async () => {
      const app = await start({ PROCESS_ROLE: 'api' });
      expect(RecordingWorker.created).toEqual([]);
      await app.close();
    });
  });

  const never = () => new Promise<never>(() => undefined);

  /** QueueWorkers started with plain fakes: one worker per queue, whose running entries finish when `finished` does. */
  const started = (finished: () => Promise<void>, env: Partial<Record<keyof Env, unknown>> = {}) => {
    const settings: Partial<Record<keyof Env, unknown>> = {
      PROCESS_ROLE: 'worker',
      SHUTDOWN_GRACE_MS: 30,
      ...env,
    };
    const workers = new Map<unknown, ReturnType<typeof fakeWorker>>();
    const fakeWorker = () => ({
      concurrency: 1,
      on: jest.fn(),
      isRunning: jest.fn(() => true),
      pause: jest.fn(finished),
      close: jest.fn((_force?: boolean) => Promise.resolve()),
    });
    const drain = jest.fn(() => Promise.resolve());
    const destroy = jest.fn(() => Promise.resolve());
    const queue = Object.assign(Object.create(Queue.prototype) as Queue, { name: 'q' });
    const listened = Object.assign(Object.create(Queue.prototype) as Queue, { name: 'own' });
    listened.on('error', () => undefined);
    const sut = new QueueWorkers(
      fake<ConfigService<Env, true>>({ get: (key: keyof Env) => settings[key] }),
      fake<BullRegistrar>({ register: jest.fn() }),
      fake<DiscoveryService>({
        getProviders: () => [{ instance: queue }, { instance: listened }, { instance: {} }],
      }),
      fake<ModuleRef>({
        get: (processor: unknown) => {
          if (!workers.has(processor)) workers.set(processor, fakeWorker());
          return fake<WorkerHost>({ worker: workers.get(processor) });
        },
      }),
      fake<JobLogWriter>({ drain }),
      fake<JobThreadPool>({ destroy }),
    );
    sut.onApplicationBootstrap();
    return { sut, workers: [...workers.values()], drain, destroy, queue, listened };
  };

  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());
  beforeEach(() => jest.clearAllMocks());

  it('gives a queue without an error listener one, in every role, and leaves one with its own alone', () => {
    const { queue, listened } = started(() => Promise.resolve(), { PROCESS_ROLE: 'api' });
    expect(queue.listenerCount('error')).toBe(1);
    expect(listened.listenerCount('error')).toBe(1);
  });

  describe('on shutdown (onModuleDestroy, before the EventBus drops its handlers)', () => {
    it('lets running entries finish, then closes the workers and writes their pending log lines', async () => {
      const { sut, workers, drain } = started(() => Promise.resolve());
      expect(workers).toHaveLength(2);
      await sut.onModuleDestroy();
      for (const worker of workers) {
        expect(worker.pause).toHaveBeenCalled();
        expect(worker.close).toHaveBeenCalledWith(false);
        expect(drain.mock.invocationCallOrder[0]).toBeGreaterThan(worker.close.mock.invocationCallOrder[0]);
      }
      expect(Logger.prototype.warn).not.toHaveBeenCalled();
    });

    it('destroys the job threads only after every worker has stopped', async () => {
      const { sut, workers, destroy } = started(() => Promise.resolve());
      await sut.onModuleDestroy();
      expect(destroy).toHaveBeenCalledTimes(1);
      for (const worker of workers)
        expect(destroy.mock.invocationCallOrder[0]).toBeGreaterThan(worker.close.mock.invocationCallOrder[0]);
    });

    it('past the grace period closes without waiting for the jobs (a plain close() would wait)', async () => {
      const { sut, workers, drain } = started(never);
      await sut.onModuleDestroy();
      for (const worker of workers) {
        expect(worker.close).toHaveBeenCalledTimes(1);
        expect(worker.close).toHaveBeenCalledWith(true);
      }
      expect(drain).toHaveBeenCalled();
      expect(Logger.prototype.warn).toHaveBeenCalledWith(
        'Jobs still running after 30 ms: leaving them to another worker',
      );
    });

    it('does nothing in a process that runs no jobs', async () => {
      const { sut, workers, drain } = started(() => Promise.resolve(), { PROCESS_ROLE: 'api' });
      expect(workers).toEqual([]);
      await sut.onModuleDestroy();
      expect(drain).not.toHaveBeenCalled();
    });
  });
});
