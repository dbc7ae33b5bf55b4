import { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Reflector } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { AllExceptionsFilter } from '@app/common/http/all-exceptions.filter';
import { deletedOwnerError } from './modules/auth/deleted-owner';
import { EnvelopeInterceptor } from '@app/common/http/envelope.interceptor';
import { toErrorResponse } from '@app/common/http/error-response';
import { AppValidationPipe } from '@app/common/http/validation';
import { Env, redisUrlOf } from './config/env';
import { redactedUrl } from './config/logger';
import { SHUTDOWN_SIGNALS } from './config/shutdown';
import { QUEUE_BOARD_ROUTE } from './modules/admin/queue-board';
import { RedisIoAdapter, socketIoKey } from './modules/realtime/redis-io.adapter';

export const BODY_LIMIT = '1mb';
const REQUEST_ID = /^[\w.:-]{1,128}$/;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
/** Swagger UI's page and its assets (the document itself is at /api/docs-json and /api/docs-yaml). */
const SWAGGER_UI_ROUTE = '/api/docs';

/** Everything between Express and the controllers, shared by main.ts and the e2e tests. */
export function configureHttpApp(app: NestExpressApplication): NestExpressApplication {
  const config = app.get<ConfigService<Env, true>>(ConfigService);
  const logger = app.get(Logger);
  /**
   * A request answered before the request log's middleware sees it (wrong media type, body too large or
   * malformed, headers Node refused) gets its request-log line here, in the same shape and at the same level.
   */
  const logRejected = (req: { id: string; method?: string; url?: string }, status: number, started: number) =>
    logger.warn(
      {
        req: { id: req.id, method: req.method, url: redactedUrl(req.url ?? '') },
        res: { statusCode: status, headersSent: true }, // pino's serializer reads a status only once sent
        responseTime: Date.now() - started,
      },
      'request errored',
    );
  app.useLogger(logger);
  app.flushLogs();
  app.set('trust proxy', false);
  app.disable('x-powered-by');

  app.use((req: Request & { id?: string }, res: Response, next: NextFunction) => {
    const started = Date.now();
    (req as Request & { receivedAt?: number }).receivedAt = started;
    const incoming = req.headers['x-request-id'];
    req.id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    // JSON only: a body of another type is refused rather than silently ignored.
    if (BODY_METHODS.has(req.method) && hasBody(req) && !req.is('application/json')) {
      res.status(415).json(toErrorResponse({ type: 'encoding.unsupported' }, req.id).body);
      logRejected({ id: req.id, method: req.method, url: req.originalUrl }, 415, started);
      return;
    }
    next();
  });
  // bull-board's and Swagger UI's pages load their scripts from their own paths, and
  // upgrade-insecure-requests would send them to https:// on a plain-HTTP deployment (the Compose stack,
  // localhost): a blank page. Those pages go without that one directive; the API keeps helmet's defaults.
  const apiHelmet = helmet();
  const pageHelmet = helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
  const under = (route: string, path: string) => path === route || path.startsWith(`${route}/`);
  const onPage = (path: string) => under(QUEUE_BOARD_ROUTE, path) || under(SWAGGER_UI_ROUTE, path);
  app.use((req: Request, res: Response, next: NextFunction) =>
    (onPage(req.path) ? pageHelmet : apiHelmet)(req, res, next),
  );
  const origin = config.get('CORS_ORIGIN', { infer: true });
  app.enableCors({
    origin: origin === '*' ? true : origin.split(',').map((o) => o.trim()),
    exposedHeaders: [
      'X-Request-Id',
      'Retry-After',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
      'Idempotent-Replayed',
    ],
  });
  app.useBodyParser('json', { limit: BODY_LIMIT });
  // body-parser's own errors (malformed JSON, too large) come here, before any Nest filter sees them.
  app.use(
    (
      error: unknown,
      req: Request & { id?: string; receivedAt?: number },
      res: Response,
      next: NextFunction,
    ) => {
      if (res.headersSent) return next(error);
      const { status, body } = toErrorResponse(error, req.id ?? '');
      res.status(status).json(body);
      logRejected(
        { id: req.id ?? '', method: req.method, url: req.originalUrl },
        status,
        req.receivedAt ?? Date.now(),
      );
    },
  );

  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter(deletedOwnerError));
  app.useGlobalInterceptors(new EnvelopeInterceptor(app.get(Reflector)));
  app.useWebSocketAdapter(
    new RedisIoAdapter(
      app,
      redisUrlOf(config),
      socketIoKey(config.get('QUEUE_PREFIX', { infer: true })),
      origin,
    ),
  );
  answerParserErrorsWithTheEnvelope(app.getHttpServer(), (id, status) =>
    logRejected({ id }, status, Date.now()),
  );
  app.enableShutdownHooks(SHUTDOWN_SIGNALS);
  setUpSwagger(app);
  return app;
}

/**
 * Requests Node's HTTP parser rejects (headers over 16 KiB, invalid bytes) never reach Express: without this,
 * Node answers a bare 400/431. They get the error envelope too (no request id reached the app: one is made).
 */
function answerParserErrorsWithTheEnvelope(server: Server, log: (requestId: string, status: number) => void) {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const requestId = randomUUID();
    const body = JSON.stringify({
      success: false,
      message: tooLarge ? 'Request headers are too large' : 'Malformed HTTP request',
      code: tooLarge ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST',
      requestId,
    });
    log(requestId, status);
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  });
}

function hasBody(req: Request): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Conveyor API')
    .setDescription(
      'Multi-tenant background jobs: submit over REST, run on BullMQ workers, follow over Socket.io and signed webhooks. ' +
        'Every response is wrapped in `{ success, message, data }` (lists add `meta`); errors are ' +
        '`{ success: false, message, code, requestId, errors? }`.',
    )
    .setVersion('1.0.0')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT or ck_ API key',
        description: 'An access token from /api/auth/login, or an API key.',
      },
      'bearer',
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key (ck_...).' },
      'apiKey',
    )
    .build();
  return SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
}

function setUpSwagger(app: INestApplication) {
  SwaggerModule.setup(SWAGGER_UI_ROUTE, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/docs-json',
    yamlDocumentUrl: 'api/docs-yaml',
    swaggerOptions: { persistAuthorization: true },
  });
}
