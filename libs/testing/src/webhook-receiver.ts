import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { TestApp } from '@app/testing/create-test-app';

/** One POST the receiver got: raw body bytes as text, exactly as sent. */
export interface ReceivedHook {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
  /** When the exchange ended: answered, or the sender gave up (a hanging path); unset while it is open. */
  endedAt?: number;
}

/**
 * A local webhook receiver on 127.0.0.1. Each path answers with its own responder (200 unless set), which is
 * told how many requests that path had before this one, so "500 once, then 200" is `(n) => (n === 0 ? 500 : 200)`.
 * A path given to `hang()` answers nothing (a dead receiver) until `release()`.
 */
export class WebhookReceiver {
  readonly received: ReceivedHook[] = [];
  private readonly responders = new Map<string, (previous: number) => number>();
  private readonly listeners = new Set<() => void>();
  private readonly hanging = new Set<string>();
  private readonly unanswered = new Set<ServerResponse>();
  private server?: Server;
  url = '';

  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        const previous = this.on(path).length;
        const hook: ReceivedHook = {
          path,
          method: req.method ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAt: Date.now(),
        };
        this.received.push(hook);
        res.on('close', () => {
          hook.endedAt = Date.now();
          this.unanswered.delete(res);
        });
        if (this.hanging.has(path)) this.unanswered.add(res);
        else res.writeHead((this.responders.get(path) ?? (() => 200))(previous)).end('ok');
        this.listeners.forEach((notify) => notify());
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  respond(path: string, status: (previous: number) => number) {
    this.responders.set(path, status);
  }

  /** Requests to `path` get no answer: the sender waits until its own timeout, or until release(). */
  hang(path: string) {
    this.hanging.add(path);
  }

  /** Every hanging path answers again (200 unless set), and the requests still open are answered 200 now. */
  release() {
    this.hanging.clear();
    for (const res of this.unanswered) res.writeHead(200).end('ok');
  }

  on(path: string) {
    return this.received.filter((hook) => hook.path === path);
  }

  /** Resolves with the requests to `path` once there are at least `count` of them. */
  waitFor(path: string, count = 1, timeoutMs = 20_000): Promise<ReceivedHook[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hooks = this.on(path);
        if (hooks.length < count) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(hooks);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`${path} got ${this.on(path).length} of ${count} request(s) in ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  close() {
    return new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

const header = (hook: ReceivedHook, name: string) => {
  const value = hook.headers[name.toLowerCase()];
  if (typeof value !== 'string') throw new Error(`missing header ${name}`);
  return value;
};

const keyOf = (secret: string) => Buffer.from(secret.replace(/^whsec_/, ''), 'base64');

const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

/**
 * The receiver's side of API.md, by hand: the Standard Webhooks signature (base64 HMAC-SHA256 over
 * `id.timestamp.body` with the base64-decoded `whsec_` secret; any of the space-separated `v1,` entries may
 * match), constant-time compare, timestamps more than 5 minutes off rejected.
 */
export function verifyByHand(secret: string, hook: ReceivedHook): boolean {
  const id = header(hook, 'webhook-id');
  const timestamp = header(hook, 'webhook-timestamp');
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${hook.body}`).digest();
  return header(hook, 'webhook-signature')
    .split(' ')
    .some((entry) => {
      const [version, signature] = entry.split(',');
      return version === 'v1' && sameBytes(Buffer.from(signature ?? '', 'base64'), expected);
    });
}

/** The older convention: `X-Conveyor-Signature: sha256=<hex HMAC-SHA256 over timestamp.body>`. */
export function verifyConveyorSignature(secret: string, hook: ReceivedHook): boolean {
  const timestamp = header(hook, 'webhook-timestamp');
  const expected = createHmac('sha256', keyOf(secret)).update(`${timestamp}.${hook.body}`).digest();
  const [scheme, hex] = header(hook, 'X-Conveyor-Signature').split('=');
  return (
    scheme === 'sha256' && /^[0-9a-f]{64}$/.test(hex ?? '') && sameBytes(Buffer.from(hex, 'hex'), expected)
  );
}

/** The same check with the `standardwebhooks` package: the parsed body, or throws. */
export function verifyWithLibrary(secret: string, hook: ReceivedHook): unknown {
  return new Webhook(secret).verify(hook.body, hook.headers as Record<string, string>);
}

export interface WebhookLog {
  id: string;
  jobId: string;
  deliveryId: string;
  url: string;
  event: string;
  payload: Record<string, unknown>;
  statusCode: number | null;
  success: boolean;
  attempt: number;
  error: string | null;
  durationMs: number;
  createdAt: string;
}

export async function webhookLogs(t: TestApp, apiKey: string, jobId: string): Promise<WebhookLog[]> {
  const res = await t.http().get(`/api/jobs/${jobId}/webhook-logs`).set('X-API-Key', apiKey).expect(200);
  return res.body.data as WebhookLog[];
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
