import { fake } from '@app/testing/fake';
import { freePort } from '@app/testing/spawn-app';
import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { createServer } from 'node:net';
import type { Env } from '../../config/env';
import type { Metrics } from './metrics';
import { WorkerMetricsServer } from './worker-metrics-server';

describe(WorkerMetricsServer.name, () => {
  const metrics = fake<Metrics>({
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    text: () => Promise.resolve('conveyor_up 1\n'),
  });
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation();
    jest.spyOn(Logger.prototype, 'error').mockImplementation();
  });
  afterEach(() => jest.restoreAllMocks());

  const start = async (env: Partial<Env>) => {
    const config = fake<ConfigService<Env, true>>({ get: (key: keyof Env) => env[key] });
    const server = new WorkerMetricsServer(metrics, config);
    await server.onApplicationBootstrap();
    return server;
  };

  it('serves GET /metrics in worker processes, behind the token when one is set', async () => {
    const port = await freePort();
    const server = await start({ PROCESS_ROLE: 'worker', METRICS_PORT: port, METRICS_TOKEN: 'tok' });
    try {
      const base = `http://127.0.0.1:${port}`;
      const refused = await fetch(`${base}/metrics`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(await refused.json()).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
      const ok = await fetch(`${base}/metrics?x=1`, { headers: { Authorization: 'Bearer tok' } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await ok.text()).toBe('conveyor_up 1\n');
      expect((await fetch(`${base}/other`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.onApplicationShutdown();
    }
    // Closed: the port is free again.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it.each([
    ['in api processes', { PROCESS_ROLE: 'api' as const }],
    ['in all processes', { PROCESS_ROLE: 'all' as const }],
    ['with METRICS_PORT=0', { PROCESS_ROLE: 'worker' as const, METRICS_PORT: 0 }],
  ])('listens nowhere %s', async (_, env) => {
    const port = await freePort();
    const server = await start({ METRICS_PORT: port, ...env });
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    await server.onApplicationShutdown();
  });

  it('logs a port already in use instead of stopping the worker', async () => {
    const port = await freePort();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(port, resolve));
    try {
      const server = await start({ PROCESS_ROLE: 'worker', METRICS_PORT: port });
      expect(Logger.prototype.error).toHaveBeenCalledWith(
        expect.objectContaining({ err: expect.objectContaining({ code: 'EADDRINUSE' }) }),
        `Metrics not served: port ${port} is unavailable`,
      );
      await server.onApplicationShutdown();
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
