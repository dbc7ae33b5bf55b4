import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrivateTargetError } from '@app/common/net/outbound-http';
import { testConfig, testingContext, type TestingContext } from '@app/testing/job-context';
import { HttpRequestJob, MAX_RESPONSE_BODY_BYTES } from './http-request.job';

describe(HttpRequestJob.name, () => {
  let server: Server;
  let base: string;
  let last: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string };
  let t: TestingContext;
  const allowing = new HttpRequestJob(testConfig({ ALLOW_PRIVATE_NETWORK_TARGETS: 'true' }));
  const refusing = new HttpRequestJob(testConfig({ ALLOW_PRIVATE_NETWORK_TARGETS: 'false' }));

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        last = {
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        if (req.url === '/big') res.end('x'.repeat(MAX_RESPONSE_BODY_BYTES + 5000));
        else if (req.url === '/error') res.writeHead(503).end('down for maintenance');
        else if (req.url === '/hang') res.writeHead(200).write('started');
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  beforeEach(() => (t = testingContext()));
  afterEach(() => t.cleanup());

  it('sends the method, headers and body, and returns status and body text', async () => {
    const result = await allowing.run(
      {
        url: `${base}/echo?q=1`,
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-trace': 'abc' },
        body: '{"hello":"world"}',
      },
      t.context,
    );
    expect(result).toEqual({ status: 200, body: '{"ok":true}', truncated: false });
    expect(last).toMatchObject({
      method: 'PUT',
      url: '/echo?q=1',
      body: '{"hello":"world"}',
      headers: { 'content-type': 'application/json', 'x-trace': 'abc' },
    });
    expect(t.logs.at(-1)?.message).toBe(`PUT ${base} answered 200`);
  });

  it('defaults to GET', async () => {
    await allowing.run({ url: `${base}/` }, t.context);
    expect(last.method).toBe('GET');
  });

  it('returns a non-2xx answer as a result, not a failure', async () => {
    const result = await allowing.run({ url: `${base}/error` }, t.context);
    expect(result).toEqual({ status: 503, body: 'down for maintenance', truncated: false });
  });

  it('cuts the body at 64 KiB', async () => {
    const result = await allowing.run({ url: `${base}/big` }, t.context);
    expect(result.truncated).toBe(true);
    expect(result.body.length).toBe(64 * 1024);
  });

  it('fails on a private target when they are not allowed', async () => {
    await expect(refusing.run({ url: `${base}/` }, t.context)).rejects.toBeInstanceOf(PrivateTargetError);
  });

  it('fails with the job signal reason when cancelled', async () => {
    const pending = allowing.run({ url: `${base}/hang` }, t.context);
    setTimeout(() => t.controller.abort(new Error('Job cancelled')), 50);
    await expect(pending).rejects.toThrow('Job cancelled');
  });
});
