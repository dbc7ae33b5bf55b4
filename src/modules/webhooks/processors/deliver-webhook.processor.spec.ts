import { BullModule, BullRegistrar } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CommandBus } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { Worker, WorkerOptions } from 'bullmq';
import { validateEnv } from '../../../config/env';
import { WEBHOOKS_QUEUE } from '../webhooks.queue';
import { DeliverWebhookProcessor } from './deliver-webhook.processor';

/** Stands in for BullMQ's Worker (through @nestjs/bullmq's own hook for it) and keeps what it was given. */
class RecordingWorker {
  static created: RecordingWorker[] = [];
  constructor(
    readonly name: string,
    readonly processor: unknown,
    readonly opts: WorkerOptions,
  ) {
    RecordingWorker.created.push(this);
  }
  on() {
    return this;
  }
  close() {
    return Promise.resolve();
  }
}

/** Registers the workers at application bootstrap, as JobWorkers does in worker processes. */
@Injectable()
class RegisterAtBootstrap implements OnApplicationBootstrap {
  constructor(private readonly registrar: BullRegistrar) {}
  onApplicationBootstrap() {
    this.registrar.register();
  }
}

describe(DeliverWebhookProcessor.name, () => {
  beforeAll(() => (BullModule.workerClass = RecordingWorker));
  afterAll(() => (BullModule.workerClass = Worker));

  it('creates its worker with the configured lock duration and stalled interval', async () => {
    const app = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validate: () =>
            validateEnv({ WORKER_LOCK_DURATION_MS: '4321', WORKER_STALLED_INTERVAL_MS: '1234' }),
        }),
        // As in AppModule: workers are created only when BullRegistrar.register() is called.
        BullModule.forRoot({ connection: {}, extraOptions: { manualRegistration: true } }),
        BullModule.registerQueue(), // no queue (nothing connects to Redis), only BullRegistrar
      ],
      providers: [DeliverWebhookProcessor, RegisterAtBootstrap, { provide: CommandBus, useValue: {} }],
    }).compile();
    await app.init(); // module init, then application bootstrap: the order of a real start

    const worker = app.get(DeliverWebhookProcessor).worker as unknown as RecordingWorker;
    expect(RecordingWorker.created).toEqual([worker]);
    expect(worker.name).toBe(WEBHOOKS_QUEUE);
    expect(worker.opts).toMatchObject({
      concurrency: 10,
      lockDuration: 4321,
      stalledInterval: 1234,
      maxStalledCount: 3, // like the jobs worker: a second stall does not lose the delivery
    });
    expect(worker.opts.settings?.backoffStrategy).toBeDefined();
    await app.close();
  });
});
