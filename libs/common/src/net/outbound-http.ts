import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import * as ipaddr from 'ipaddr.js';

export interface OutboundRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Whole request, connect to last body byte. No limit when unset: pass `signal` or this. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Let the request reach private, loopback and link-local addresses (tests, local development). */
  allowPrivate?: boolean;
  /** The body is cut here and `truncated` set; default 10 MiB. */
  maxBodyBytes?: number;
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  truncated: boolean;
}

/** The target resolved to an address that outbound requests may not reach. */
export class PrivateTargetError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      host === address
        ? `Refused to connect to ${address}: private, loopback or link-local addresses are not allowed`
        : `Refused to connect to ${host} (${address}): private, loopback or link-local addresses are not allowed`,
    );
    this.name = 'PrivateTargetError';
  }
}

export class OutboundTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Request timed out after ${timeoutMs} ms`);
    this.name = 'OutboundTimeoutError';
  }
}

/**
 * True when the URL's host itself names a place outbound requests may not go (`localhost`, `*.localhost`, or a
 * private address literal), so a submission can be refused before any DNS lookup. Names that resolve to a
 * private address are refused when connecting (see `outboundRequest`).
 */
export function namesPrivateHost(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  } catch {
    return false; // not a URL: the field's own validation says so
  }
  return host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && isPrivateAddress(host));
}

const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * True for every address that is not plain public unicast: private, loopback, link-local, unique-local,
 * CGNAT, multicast, broadcast, unspecified, reserved and documentation ranges, and IPv6 transition ranges
 * (6to4, Teredo, NAT64) that can carry any IPv4 address. IPv4-mapped IPv6
 * (`::ffff:10.0.0.1`) is judged as the IPv4 address it carries; IPv4-compatible (`::127.0.0.1`) and
 * IPv4-translated (`::ffff:0:127.0.0.1`) forms are always refused. Anything unparseable counts as private.
 */
export function isPrivateAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return true;
  // ipaddr.js reads `::8.8.8.8` as `::ffff:8.8.8.8`; the WHATWG URL form (`::808:808`) is what sockets see.
  const parsed =
    isIP(ip) === 6 ? ipaddr.IPv6.parse(new URL(`http://[${ip}]/`).hostname.slice(1, -1)) : ipaddr.parse(ip);
  // IPv4-compatible (::a.b.c.d, deprecated) and IPv4-translated (::ffff:0:a.b.c.d) forms carry an IPv4
  // address that ipaddr.js may call plain unicast (::7f00:1); neither is a legitimate public target.
  if (parsed.kind() === 'ipv6' && (parsed.match(IPV4_COMPATIBLE) || parsed.match(IPV4_TRANSLATED)))
    return true;
  return ipaddr.process(ip).range() !== 'unicast';
}

const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');
const IPV4_TRANSLATED = ipaddr.IPv6.parseCIDR('::ffff:0:0:0/96');

/** Parses an absolute http(s) URL without credentials, or throws saying why not. */
export function assertHttpUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`Invalid URL: ${String(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Error(`Only http and https URLs are allowed, not ${parsed.protocol}`);
  if (parsed.username || parsed.password) throw new Error('URLs with credentials are not allowed');
  return parsed;
}

/**
 * Resolves as usual, then refuses the connection if any resolved address is private. Checking here,
 * at connect time, means the address checked is the address connected to (no DNS rebinding window).
 */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, options.all ? [] : '');
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused) return callback(new PrivateTargetError(hostname, refused.address), options.all ? [] : '');
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};

/**
 * One HTTP request on node:http(s). Redirects are not followed (a 3xx comes back as it is), and unless
 * `allowPrivate` is set, targets that resolve to non-public addresses are refused with PrivateTargetError.
 */
export async function outboundRequest(
  url: string | URL,
  options: OutboundRequestOptions = {},
): Promise<OutboundResponse> {
  const target = assertHttpUrl(url);
  const { signal, timeoutMs, allowPrivate = false, maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options;
  signal?.throwIfAborted();
  // An IP literal never goes through the lookup function, so it is checked here.
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) && isPrivateAddress(host)) throw new PrivateTargetError(host, host);

  const client = target.protocol === 'https:' ? https : http;
  const request = client.request(target, {
    method: options.method?.toUpperCase() ?? 'GET',
    headers: options.headers,
    // A fresh connection each time: a pooled socket opened for an allowPrivate request must not be reused.
    agent: false,
    lookup: allowPrivate ? undefined : guardedLookup,
  });

  return new Promise<OutboundResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, response?: OutboundResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (response) resolve(response);
      else reject(error ?? new Error('Request failed'));
    };
    // Settle before destroying: once the response has started, a destroyed request reports only "aborted".
    const fail = (error: Error) => {
      finish(error);
      request.destroy(error);
    };
    const onAbort = () => {
      const reason: unknown = signal?.reason;
      fail(reason instanceof Error ? reason : new Error('Request aborted'));
    };
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => fail(new OutboundTimeoutError(timeoutMs)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    request.on('error', (error) => finish(error));
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (truncated: boolean) =>
        finish(null, {
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          truncated,
        });
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        if (size + chunk.length > maxBodyBytes) {
          chunks.push(chunk.subarray(0, maxBodyBytes - size));
          done(true);
          res.destroy();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => done(false));
      res.on('error', (error) => finish(error));
      res.on('close', () => {
        if (!res.complete) finish(new Error('Connection closed before the response was complete'));
      });
    });
    request.end(options.body);
  });
}
