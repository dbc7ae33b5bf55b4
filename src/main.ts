import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { existsSync } from 'node:fs';
import { deprecatedVariablesIn } from './config/env';
import { SHUTDOWN_SIGNALS } from './config/shutdown';
import { checkConfig, checkIoredis, checkPostgres, checkRedis, PreflightError } from './preflight';

/**
 * One entry for every role: `api` serves HTTP (REST, Swagger, Socket.io), `worker` runs the queues without
 * HTTP, `all` (the default, what `npm start` runs) does both in one process.
 */
async function bootstrap() {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const env = checkConfig(process.env);
  checkIoredis();
  await checkPostgres(env.DATABASE_URL);
  await checkRedis(env);

  const deprecations = deprecatedVariablesIn(process.env);

  // Loaded only after checkIoredis: the module graph and http-app import ioredis, so a static import would
  // fail with a bare "Cannot find module" before the check could explain it.
  const { AppModule } = require('./app.module') as typeof import('./app.module');
  if (env.PROCESS_ROLE === 'worker') {
    const context = await NestFactory.createApplicationContext(AppModule.forRoot(), { bufferLogs: true });
    const logger = context.get(Logger);
    context.useLogger(logger);
    context.enableShutdownHooks(SHUTDOWN_SIGNALS);
    for (const line of deprecations) logger.warn(line, 'Bootstrap');
    logger.log(`Conveyor worker started (pid ${process.pid})`, 'Bootstrap');
    return;
  }
  const { configureHttpApp } = require('./http-app') as typeof import('./http-app');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    bodyParser: false,
    bufferLogs: true,
  });
  configureHttpApp(app);
  await app.listen(env.PORT);
  const logger = app.get(Logger);
  for (const line of deprecations) logger.warn(line, 'Bootstrap');
  logger.log(
    `Conveyor ${env.PROCESS_ROLE} listening on http://localhost:${env.PORT} (Swagger UI at /api/docs)`,
    'Bootstrap',
  );
}

bootstrap().catch((error: unknown) => {
  if (error instanceof PreflightError) {
    process.stderr.write(`conveyor: ${error.message}\n`);
  } else {
    process.stderr.write(
      `conveyor: start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
