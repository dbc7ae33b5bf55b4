import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '@app/common/errors/app-error';
import { toErrorResponse } from '@app/common/http/error-response';
import type { Env } from '../../config/env';
import { Metrics } from './metrics';
import { METRICS_UNAUTHORIZED, metricsAccessAllowed } from './metrics-token';

/**
 * Workers have no HTTP server, so in `PROCESS_ROLE=worker` the same registry is served on `METRICS_PORT`
 * (`GET /metrics`, same `METRICS_TOKEN` rule; `METRICS_PORT=0` turns it off). `api` and `all` processes serve
 * `/metrics` on their API port instead. A port already in use is logged, not fatal: the worker still runs jobs.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server?: Server;

  constructor(
    private readonly metrics: Metrics,
    private readonly config: ConfigService<Env, true>,
  ) {}

  async onApplicationBootstrap() {
    if (this.config.get('PROCESS_ROLE', { infer: true }) !== 'worker') return;
    const port = this.config.get('METRICS_PORT', { infer: true });
    if (port === 0) return;
    const server = createServer((req, res) => void this.handle(req, res));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, () => (server.off('error', reject), resolve()));
      });
    } catch (error) {
      this.logger.error({ err: error }, `Metrics not served: port ${port} is unavailable`);
      return;
    }
    this.server = server;
    this.logger.log(`Serving metrics on port ${(server.address() as AddressInfo).port} (GET /metrics)`);
  }

  async onApplicationShutdown() {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return this.reject(res, new AppError('NOT_FOUND', 'Not found'));
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return this.reject(res, new AppError('METHOD_NOT_ALLOWED', 'Only GET /metrics is served here'));
    if (!metricsAccessAllowed(req.headers.authorization, this.config.get('METRICS_TOKEN', { infer: true }))) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      return this.reject(res, new AppError('UNAUTHORIZED', METRICS_UNAUTHORIZED));
    }
    try {
      const text = await this.metrics.text();
      res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    } catch (error) {
      this.logger.error({ err: error }, 'Metrics scrape failed');
      this.reject(res, error);
    }
  }

  /** The API's error envelope, so a worker's port answers like the API's `/metrics`. */
  private reject(res: ServerResponse, error: unknown) {
    const { status, body } = toErrorResponse(error, randomUUID());
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }
}
