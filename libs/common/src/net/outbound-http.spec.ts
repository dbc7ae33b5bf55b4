import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  assertHttpUrl,
  isPrivateAddress,
  outboundRequest,
  OutboundTimeoutError,
  PrivateTargetError,
} from './outbound-http';

describe('outboundRequest', () => {
  let server: Server;
  let base: string;
  const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/hello': (_req, res) => res.writeHead(201, { 'x-test': 'yes' }).end('hello'),
    '/redirect': (_req, res) => res.writeHead(302, { location: '/hello' }).end(),
    '/big': (_req, res) => res.end(Buffer.alloc(200_000, 'a')),
    '/slow': (_req, res) => {
      res.writeHead(200);
      res.write('partial');
      // never ends: the client's timeout or abort must
    },
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        (routes[req.url ?? ''] ?? ((_q, r: ServerResponse) => r.writeHead(404).end()))(req, res);
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

  it('reaches a local server when allowPrivate is set, sending method, headers and body', async () => {
    const res = await outboundRequest(`${base}/hello`, {
      method: 'post',
      headers: { 'x-custom': 'abc', 'content-type': 'text/plain' },
      body: 'payload',
      allowPrivate: true,
    });
    expect(res).toMatchObject({ status: 201, truncated: false });
    expect(res.headers['x-test']).toBe('yes');
    expect(res.body.toString()).toBe('hello');
    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: 'payload', headers: { 'x-custom': 'abc' } });
  });

  it('returns a redirect as it is, without following it', async () => {
    const before = seen.length;
    const res = await outboundRequest(`${base}/redirect`, { allowPrivate: true });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/hello');
    expect(seen.length).toBe(before + 1);
  });

  it('truncates the body at maxBodyBytes', async () => {
    const res = await outboundRequest(`${base}/big`, { allowPrivate: true, maxBodyBytes: 1000 });
    expect(res.truncated).toBe(true);
    expect(res.body.length).toBe(1000);
  });

  it('times out with a clear error', async () => {
    const started = Date.now();
    const error: unknown = await outboundRequest(`${base}/slow`, {
      allowPrivate: true,
      timeoutMs: 200,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundTimeoutError);
    expect((error as Error).message).toBe('Request timed out after 200 ms');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops when the signal fires, with the signal reason', async () => {
    const controller = new AbortController();
    const pending = outboundRequest(`${base}/slow`, { allowPrivate: true, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled by test')), 100);
    await expect(pending).rejects.toThrow('cancelled by test');
  });

  it('rejects at once when the signal has already fired', async () => {
    await expect(
      outboundRequest(`${base}/hello`, { allowPrivate: true, signal: AbortSignal.abort(new Error('gone')) }),
    ).rejects.toThrow('gone');
  });

  it.each([
    ['127.0.0.1', () => base, '127.0.0.1'],
    ['localhost', () => base.replace('127.0.0.1', 'localhost'), /127\.0\.0\.1|::1/],
    ['[::1]', () => base.replace('127.0.0.1', '[::1]'), '::1'],
    ['10.x', () => 'http://10.1.2.3/', '10.1.2.3'],
    ['169.254.x (cloud metadata)', () => 'http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['192.168.x', () => 'https://192.168.0.1/', '192.168.0.1'],
    ['IPv4-mapped 10.0.0.1', () => 'http://[::ffff:10.0.0.1]/', '::ffff:a00:1'],
    ['IPv4-compatible [::127.0.0.1]', () => 'http://[::127.0.0.1]/', '::7f00:1'],
    ['decimal 2130706433 (= 127.0.0.1)', () => 'http://2130706433/', '127.0.0.1'],
  ])('refuses %s without allowPrivate, naming the address', async (_name, url, address) => {
    const before = seen.length;
    const error: unknown = await outboundRequest(url()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrivateTargetError);
    expect((error as PrivateTargetError).address).toMatch(address);
    expect((error as Error).message).toContain((error as PrivateTargetError).address);
    expect(seen.length).toBe(before);
  });

  it('names the resolved address when a host name resolves to a private one', async () => {
    await expect(outboundRequest(`${base.replace('127.0.0.1', 'localhost')}/hello`)).rejects.toThrow(
      /Refused to connect to localhost \((127\.0\.0\.1|::1)\)/,
    );
  });

  it('rejects non-http URLs and credentials', async () => {
    await expect(outboundRequest('ftp://example.com/')).rejects.toThrow('Only http and https');
    await expect(outboundRequest('http://user:pass@example.com/')).rejects.toThrow('credentials');
    await expect(outboundRequest('not a url')).rejects.toThrow('Invalid URL');
  });
});

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:192.168.0.1',
    '::127.0.0.1', // IPv4-compatible
    '::7f00:1',
    '::10.0.0.1',
    '::8.8.8.8', // deprecated form: never a legitimate target
    '::ffff:0:127.0.0.1', // IPv4-translated
    '0:0:0:0:0:ffff:7f00:1',
    '2002:c0a8:101::1', // 6to4 of 192.168.1.1
    '64:ff9b::a00:1', // NAT64 of 10.0.0.1
    '::127.0.0.1', // IPv4-compatible (::/96): URLs print it as [::7f00:1]
    '::7f00:1',
    '::a00:1',
    '::808:808', // ::/96 is deprecated: refused whatever it embeds
    'not-an-ip',
  ])('%s is private', (ip) => expect(isPrivateAddress(ip)).toBe(true));

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (ip) => expect(isPrivateAddress(ip)).toBe(false),
  );
});

describe('assertHttpUrl', () => {
  it('accepts http and https', () => {
    expect(assertHttpUrl('https://example.com/a?b=c').hostname).toBe('example.com');
    expect(assertHttpUrl('http://localhost:3000').port).toBe('3000');
  });

  it.each(['file:///etc/passwd', 'javascript:alert(1)', 'https://a:b@example.com', 'example.com'])(
    'refuses %s',
    (url) => expect(() => assertHttpUrl(url)).toThrow(),
  );
});
