import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AppModule } from '../../../src/app.module';
import { configureHttpApp } from '../../../src/http-app';

export interface TestApp {
  app: NestExpressApplication;
  /** supertest bound to the running server. */
  http: () => ReturnType<typeof request>;
  /** http://127.0.0.1:<port>, for socket.io-client and raw requests. */
  url: string;
  close: () => Promise<void>;
}

/** Built by the first createTestApp of a test file (jest gives each file its own module registry). */
let appModule: ReturnType<typeof AppModule.forRoot> | undefined;

/**
 * Boots the real AppModule with the same HTTP setup as main.ts, listening on a free port. `env` is applied
 * before the configuration is read, which happens once per test file: the first call in a file decides the
 * configuration of that file (later calls, e.g. a restart, get the same queues and settings).
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  // Its own queues, so suites running side by side never take each other's jobs.
  Object.assign(process.env, { QUEUE_PREFIX: `conveyor-test-${randomUUID().slice(0, 8)}` }, env);
  appModule ??= AppModule.forRoot();
  const app = await NestFactory.create<NestExpressApplication>(appModule, {
    bodyParser: false,
    logger: false,
  });
  configureHttpApp(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return { app, url, http: () => request(app.getHttpServer()), close: () => app.close() };
}
