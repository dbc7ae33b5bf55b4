import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface TestApp {
  app: NestExpressApplication;
  /** supertest bound to the running server. */
  http: () => ReturnType<typeof request>;
  /** http://127.0.0.1:<port>, for socket.io-client and raw requests. */
  url: string;
  close: () => Promise<void>;
}

/**
 * Boots the real AppModule with the same HTTP setup as main.ts, listening on a free port. `env` is applied
 * before the module graph loads: jest gives each test file its own module registry, so the first call in a
 * file decides the configuration of that file.
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  // Its own queues, so suites running side by side never take each other's jobs.
  Object.assign(process.env, { QUEUE_PREFIX: `conveyor-test-${randomUUID().slice(0, 8)}` }, env);
  const { AppModule } = require('../../../src/app.module') as typeof import('../../../src/app.module');
  const { configureHttpApp } = require('../../../src/http-app') as typeof import('../../../src/http-app');
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bodyParser: false,
    logger: false,
  });
  configureHttpApp(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return { app, url, http: () => request(app.getHttpServer()), close: () => app.close() };
}
