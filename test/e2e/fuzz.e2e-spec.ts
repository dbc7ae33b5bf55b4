import { JwtService } from '@nestjs/jwt';
import { getMetadataStorage } from 'class-validator';
import fc from 'fast-check';
import { Agent, IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { bearer, makeUser, TestUser } from '@app/testing/factories';
import { submitJob } from '@app/testing/jobs';
import { connectSocket, RecordingSocket } from '@app/testing/socket-client';
import { TEST_ADMIN, TEST_ENV } from '../test-env';

/**
 * Fuzz (issue 6): thousands of generated malformed requests across every route of the OpenAPI document and
 * every Socket.io client message. For every answer: never a 5xx; a 4xx is the error envelope, with `errors`
 * naming fields that exist in the input (or are documented) when the code is VALIDATION_FAILED. Every write
 * the fuzzer sends is one that must be rejected, so afterwards no row may have appeared; the service is
 * still ready. Failures print the seed: `FUZZ_SEED=<n> npx jest test/e2e/fuzz` replays the run
 * (FUZZ_LOG_LEVEL=error adds the server's own error logs).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_406);
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------
// Raw HTTP: full control over headers (duplicates, bogus types, no Content-Type) and bodies (any bytes).
// ---------------------------------------------------------------------------------------------------------

interface Probe {
  method: string;
  /** Already percent-encoded, with the query string. */
  path: string;
  headers: [string, string][];
  body?: string | Buffer;
  /** The body as the server parses it (undefined when it is not JSON), to check field names in `errors`. */
  input?: unknown;
  /** The query as sent, name → values. */
  query?: Record<string, string[]>;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });
const sent: Record<string, number> = {};

function send(base: URL, probe: Probe, group: string): Promise<Answer> {
  sent[group] = (sent[group] ?? 0) + 1;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: base.hostname, port: base.port, method: probe.method, path: probe.path, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    const grouped = new Map<string, string[]>();
    for (const [name, value] of probe.headers) grouped.set(name, [...(grouped.get(name) ?? []), value]);
    for (const [name, values] of grouped) req.setHeader(name, values.length === 1 ? values[0] : values);
    if (probe.body !== undefined) req.setHeader('Content-Length', Buffer.byteLength(probe.body));
    req.end(probe.body);
  });
}

/** fast-check's report with every line cut short: counterexamples may hold megabytes of nesting. */
function short(error: unknown): string {
  const message = (e: unknown) => (e instanceof Error ? e.message : JSON.stringify(e));
  const cause = (error as { cause?: unknown }).cause;
  const text = `${message(error)}${cause ? `\nCaused by: ${message(cause)}` : ''}`;
  return text
    .split('\n')
    .map((line) => (line.length > 1_500 ? `${line.slice(0, 1_500)}…(${line.length} chars)` : line))
    .join('\n');
}

function describeProbe(probe: Probe, answer?: Answer): string {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
  const body =
    probe.body === undefined
      ? '(none)'
      : Buffer.isBuffer(probe.body)
        ? `<${probe.body.length} bytes>`
        : JSON.stringify(cut(probe.body, 400));
  const headers = probe.headers.map(([n, v]) => `${n}: ${JSON.stringify(cut(v, 120))}`).join('; ');
  const answered = answer ? `\n  → ${answer.status} ${cut(answer.text, 600)}` : '';
  return `${probe.method} ${cut(probe.path, 300)}\n  headers: ${headers}\n  body: ${body}${answered}`;
}

// ---------------------------------------------------------------------------------------------------------
// What every answer must look like.
// ---------------------------------------------------------------------------------------------------------

const ENVELOPE_KEYS = new Set(['success', 'message', 'code', 'requestId', 'errors', 'retryAfter']);

function has(node: unknown, key: string): boolean {
  return node !== null && typeof node === 'object' && Object.prototype.hasOwnProperty.call(node, key);
}

/** `a.b.0.c` walks the parsed input; a key may itself hold dots (`{"a.b": 1}` is named `a.b`). */
function inputHasPath(input: unknown, path: string): boolean {
  if (input === null || typeof input !== 'object') return false;
  return Object.keys(input).some((key) => {
    if (key === path) return true;
    if (!path.startsWith(`${key}.`)) return false;
    return inputHasPath((input as Record<string, unknown>)[key], path.slice(key.length + 1));
  });
}

function fieldNamed(key: string, probe: Probe, documented: Set<string>): boolean {
  if (key === 'body') return true;
  if (probe.headers.some(([name]) => name.toLowerCase() === key.toLowerCase())) return true;
  if (inputHasPath(probe.input, key) || inputHasPath(probe.query, key)) return true;
  const top = key.split('.')[0];
  if (Object.keys(probe.query ?? {}).some((name) => name === top || name.startsWith(`${top}[`))) return true;
  return key.split('.').every((segment) => /^\d+$/.test(segment) || documented.has(segment));
}

function verifyAnswer(probe: Probe, answer: Answer, documented: Set<string>) {
  const fail = (why: string): never => {
    throw new Error(`${why}\n${describeProbe(probe, answer)}`);
  };
  if (answer.status >= 500) fail(`answered ${answer.status} (never a 5xx for bad input)`);
  if (answer.status < 100) fail('no status');
  const requestId = answer.headers['x-request-id'];
  if (typeof requestId !== 'string' || !requestId) fail('no X-Request-Id header');
  if (answer.status >= 400) {
    if (!String(answer.headers['content-type']).startsWith('application/json')) fail('4xx is not JSON');
    const body = answer.json as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return fail('4xx body is not an object');
    if (body.success !== false) fail('4xx without success: false');
    if (typeof body.message !== 'string' || !body.message) fail('4xx without a message');
    if (typeof body.code !== 'string' || !/^[A-Z_]+$/.test(body.code)) fail('4xx without a code');
    if (body.requestId !== requestId) fail('requestId differs from X-Request-Id');
    const extra = Object.keys(body).filter((k) => !ENVELOPE_KEYS.has(k));
    if (extra.length) fail(`4xx envelope with extra keys ${extra.join(', ')}`);
    if (body.code === 'VALIDATION_FAILED') {
      const errors = body.errors as Record<string, unknown> | undefined;
      if (!errors || typeof errors !== 'object' || Object.keys(errors).length === 0)
        return fail('VALIDATION_FAILED without field errors');
      for (const [key, messages] of Object.entries(errors)) {
        if (!Array.isArray(messages) || !messages.length || !messages.every((m) => typeof m === 'string'))
          fail(`errors.${key} is not a list of messages`);
        if (!fieldNamed(key, probe, documented))
          fail(`errors names "${key}", a field neither sent nor documented`);
      }
    } else if (body.errors !== undefined && body.code !== 'SERVICE_UNAVAILABLE') {
      if (typeof body.errors !== 'object' || body.errors === null) fail('errors is not an object');
    }
  } else if (
    answer.status < 300 &&
    String(answer.headers['content-type']).startsWith('application/json') &&
    !probe.path.startsWith('/api/docs')
  ) {
    const body = answer.json as { success?: unknown } | undefined;
    if (body?.success !== true) fail('2xx JSON without success: true');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Building blocks: junk values, JSON text (with numbers and nesting JSON.stringify cannot write), headers.
// ---------------------------------------------------------------------------------------------------------

/** A JSON fragment written as is: 1e999, -0, 30 digits, NaN (malformed), 100 000 levels of nesting. */
class Raw {
  constructor(readonly text: string) {}
}

function toJson(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (value === undefined) return 'null';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? '1e999' : '-1e999';
    return Object.is(value, -0) ? '-0' : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .map((key) => `${JSON.stringify(key)}:${toJson(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Defines even `__proto__` as an own, enumerable property (as JSON.parse does). */
function withKey(target: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

function parseInput(text: string | Buffer): unknown {
  try {
    // As body-parser reads it: UTF-8, a leading byte order mark dropped.
    return JSON.parse(text.toString().replace(/^\ufeff/, '')) as unknown;
  } catch {
    return undefined;
  }
}

const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE jobs; --",
  '" OR ""="',
  '1; SELECT pg_sleep(10)',
  "admin'--",
  '\\',
  '{"$ne": null}',
  '{"$gt": ""}',
  '$where',
  '$ne',
  '__proto__',
  'constructor',
  'prototype',
  '{"__proto__": {"polluted": true}}',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '%s%s%s%n',
  '%00',
  'a\u0000b',
  '\u0000',
  '\ud800',
  '\udfff',
  '\uffff',
  '\ufeff',
  '\u202e',
  '\u200b',
  '🦄💥',
  'Ω≈ç√∫',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  '0x10',
  'true',
  '',
  ' ',
  '\t\r\n',
];

const hugeString = fc
  .tuple(fc.integer({ min: 2_000, max: 900_000 }), fc.constantFrom('x', '💥', '\u0000', 'é', '"'))
  .map(([n, unit]) =>
    unit.repeat(Math.floor(n / (unit === '💥' ? 4 : unit === 'é' || unit === '"' ? 2 : 6))),
  );

const junkString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  { weight: 4, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 100, maxLength: 2_000 }) },
  { weight: 1, arbitrary: hugeString },
);

const junkNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 0.5, -0.0001, 2 ** 31, 2 ** 53, -(2 ** 53), 1e21, Number.MAX_VALUE, NaN, Infinity),
  fc
    .constantFrom('1e309', '-1e309', '123456789012345678901234567890', '1E-400', '-0', '1.0')
    .map((t) => new Raw(t)),
);

/** `depth` levels of `{"a":` or `[`: JSON text of any depth without recursion. */
const deepValue = fc
  .tuple(fc.constantFrom(2, 10, 100, 1_000, 10_000, 100_000), fc.constantFrom('object', 'array', 'mixed'))
  .map(([depth, kind]) => {
    const open = kind === 'object' ? '{"a":' : kind === 'array' ? '[' : '[{"a":';
    const close = kind === 'object' ? '}' : kind === 'array' ? ']' : '}]';
    const levels = kind === 'mixed' ? Math.ceil(depth / 2) : depth;
    return new Raw(`${open.repeat(levels)}1${close.repeat(levels)}`);
  });

const JUNK_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  '$where',
  '$ne',
  '$gt',
  '',
  ' ',
  'a.b',
  'a[b]',
  '0',
  'role',
  'isAdmin',
  'userId',
  'id',
  'status',
  'attempts',
];

const junkKey = fc.oneof(fc.constantFrom(...JUNK_KEYS), fc.string({ unit: 'binary', maxLength: 12 }));

const junkPrimitive: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: junkString },
  { weight: 3, arbitrary: junkNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);

const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: junkPrimitive },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deepValue },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(junkKey, junkPrimitive), { maxLength: 4 })
      .map((entries) => entries.reduce((o, [k, v]) => withKey(o, k, v), {} as Record<string, unknown>)),
  },
  { weight: 1, arbitrary: fc.array(junkPrimitive, { maxLength: 5 }) },
);

/** Visible latin-1 (what an HTTP client can put in a header value). */
const headerChar = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff }))
  .map((code) => String.fromCharCode(code));
const headerValue = fc.oneof(
  fc.string({ unit: headerChar, maxLength: 60 }),
  fc.constantFrom('', ' ', 'null', "' OR 1=1 --", '../../etc/passwd', '%00', 'ck_', 'Bearer', '\t'),
  fc.string({ unit: headerChar, minLength: 500, maxLength: 4_000 }),
);

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'APPLICATION/JSON',
  'application/json; charset="utf-8"',
];
/** Content types a JSON body must be refused with (415): not JSON, or a charset other than UTF-8. */
const NOT_JSON_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/vnd.api+json',
  'application/json; charset=latin1',
  'application/json; charset=iso-8859-1',
  'application/json; charset=koi8-r',
  'application',
  '*/*',
  'json',
  '',
  'text/json',
];
/** Everything else a client may put in Content-Type, refused or (empty charset, `;;;`) tolerated. */
const BAD_TYPES = [
  ...NOT_JSON_TYPES,
  'application/json; charset=utf-16',
  'application/json; charset=',
  'application/json;;;',
  ';',
];
const contentType: fc.Arbitrary<[string, string][]> = fc.oneof(
  {
    weight: 24,
    arbitrary: fc.constantFrom(...JSON_TYPES).map((t): [string, string][] => [['Content-Type', t]]),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(...BAD_TYPES).map((t): [string, string][] => [['Content-Type', t]]),
  },
  { weight: 1, arbitrary: headerValue.map((t): [string, string][] => [['Content-Type', t]]) },
  { weight: 1, arbitrary: fc.constant<[string, string][]>([]) },
  {
    weight: 1,
    arbitrary: fc.constant<[string, string][]>([
      ['Content-Type', 'text/plain'],
      ['Content-Type', 'application/json'],
    ]),
  },
);

/** Headers that change nothing a valid request needs, with junk values. */
const noiseHeaders: fc.Arbitrary<[string, string][]> = fc.array(
  fc.tuple(
    fc.constantFrom(
      'X-Request-Id',
      'Idempotency-Key',
      'Accept',
      'Accept-Charset',
      'Accept-Language',
      'Origin',
      'Cookie',
      'Referer',
      'X-Forwarded-For',
      'X-Forwarded-Host',
      'Forwarded',
      'X-HTTP-Method-Override',
      'Range',
      'Content-Encoding',
      'X-Fuzz',
    ),
    fc.oneof(
      headerValue,
      fc.constantFrom('gzip', 'br', 'deflate', 'x-junk', 'identity', 'DELETE', 'bytes=0-1'),
    ),
  ),
  { maxLength: 3 },
);

/** Bodies that are not JSON objects: arrays, scalars, malformed text, odd bytes. */
const MALFORMED = [
  '{',
  '}',
  '{"a":}',
  '{"a":1,}',
  "{'a':1}",
  '{"a":1}{"b":2}',
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"a":undefined}',
  '{"a":01}',
  '{"a":"\\x00"}',
  '{"a":"\\ud800"',
  '{a:1}',
  '\ufeff{"a":1}',
  'null',
  'true',
  '"text"',
  '42',
  '[]',
  '[{}]',
  '{"__proto__":',
  '/* comment */ {}',
  '{"a":1} // trailing',
  ' ',
];
const notAnObjectBody = fc.oneof(
  fc.constantFrom(...MALFORMED),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc
    .jsonValue({ maxDepth: 2 })
    .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
    .map(toJson),
  deepValue.map((raw) => raw.text),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0xfe, 0x7d]), Buffer.from([0xc0, 0xaf])),
);

// ---------------------------------------------------------------------------------------------------------
// Bodies a DTO must reject: every field valid, invalid or absent, at least one fault (or an unknown key).
// ---------------------------------------------------------------------------------------------------------

interface Field {
  required: boolean;
  valid: fc.Arbitrary<unknown>;
  invalid: fc.Arbitrary<unknown>;
}
type Spec = Record<string, Field>;

function rejectedObject(spec: Spec): fc.Arbitrary<Record<string, unknown>> {
  const names = Object.keys(spec);
  const state = (field: Field) =>
    fc.oneof(
      { weight: 4, arbitrary: field.valid.map((value) => ({ ok: true, absent: false, value })) },
      { weight: 3, arbitrary: field.invalid.map((value) => ({ ok: false, absent: false, value })) },
      {
        weight: 1,
        arbitrary: fc.constant({ ok: !field.required, absent: true, value: undefined }),
      },
    );
  const extraKey = junkKey.filter((key) => !names.includes(key));
  return fc
    .record({
      fields: fc.tuple(...names.map((name) => state(spec[name]))),
      extras: fc.array(fc.tuple(extraKey, junkValue), { maxLength: 2 }),
    })
    .filter(({ fields, extras }) => extras.length > 0 || fields.some((f) => !f.ok))
    .map(({ fields, extras }) => {
      const body: Record<string, unknown> = {};
      fields.forEach((f, i) => {
        if (!f.absent) withKey(body, names[i], f.value);
      });
      for (const [key, value] of extras) withKey(body, key, value);
      return body;
    });
}

/** A body the route must refuse: a faulty object, or something that is not an object at all. */
function rejectedBody(spec: Spec): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    { weight: 8, arbitrary: rejectedObject(spec).map(toJson) },
    { weight: 2, arbitrary: notAnObjectBody },
  );
}

const notString = fc.oneof(
  junkNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'string'),
  deepValue,
);
const strings = (min: number, max: number) =>
  fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: max });
const tooLong = (max: number) => fc.integer({ min: max + 1, max: max + 5_000 }).map((n) => 'x'.repeat(n));
const notEmail = fc.oneof(
  notString,
  junkString.filter((s) => !s.includes('@')),
  fc.constantFrom(
    'a@b',
    '@example.com',
    'a@',
    'a b@example.com',
    'a@@example.com',
    `${'x'.repeat(65)}@example.com`,
  ),
  fc.constant(`a@${'b'.repeat(250)}.com`),
);
const freshEmail = fc.stringMatching(/^[a-z0-9]{6,16}$/).map((s) => `fuzz-${s}@example.com`);
const uuidLike = fc.oneof(
  fc.uuid(),
  fc.constantFrom(
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '0b6c1a52-2f2e-4a8e-9d51-2f1f3c6f0b7',
    '0b6c1a52-2f2e-4a8e-9d51-2f1f3c6f0b7eg',
    '{0b6c1a52-2f2e-4a8e-9d51-2f1f3c6f0b7e}',
    '0B6C1A522F2E4A8E9D512F1F3C6F0B7E',
  ),
);
const notIsoDate = fc.oneof(
  notString,
  fc.constantFrom(
    'tomorrow',
    '2024-13-01T00:00:00Z',
    '2024-02-30T00:00:00Z',
    '99999-01-01T00:00:00Z',
    '1/2/2024',
    'now',
    '',
  ),
  junkString.filter((s) => !/^\d{4}-/.test(s)),
);

const JOB_TYPES = [
  'send-email',
  'generate-report',
  'resize-image',
  'csv-export',
  'http-request',
  'data-processing',
  'sleep',
];

/** A payload the sleep handler must refuse. */
const badSleepPayload = fc.oneof(
  rejectedObject({
    delayMs: {
      required: true,
      valid: fc.integer({ min: 0, max: 60_000 }),
      invalid: fc.oneof(
        notString.filter((v) => !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 60_000)),
        fc.constantFrom(-1, 60_001, 1.5, '10', 1e12),
      ),
    },
    failTimes: {
      required: false,
      valid: fc.integer({ min: 0, max: 10 }),
      invalid: fc.constantFrom(-1, 11, 2.5, 'x', true, [], {}),
    },
    forceFail: {
      required: false,
      valid: fc.boolean(),
      invalid: fc.constantFrom('true', 1, 0, 'yes', [], {}),
    },
  }),
  fc.oneof(
    junkPrimitive.filter((v) => v !== null),
    fc.array(junkPrimitive, { maxLength: 3 }),
    deepValue,
  ),
);
const goodSleepPayload = fc.integer({ min: 0, max: 60_000 }).map((delayMs) => ({ delayMs }));
const badEmailPayload = rejectedObject({
  to: { required: true, valid: fc.constant('ada@example.com'), invalid: notEmail },
  subject: {
    required: true,
    valid: strings(1, 50).filter((s) => !/[\r\n]/.test(s)),
    invalid: fc.oneof(notString, fc.constantFrom('', 'a\nb', 'a\rb'), tooLong(255)),
  },
  body: { required: true, valid: strings(1, 50), invalid: fc.oneof(notString, fc.constant('')) },
  html: { required: false, valid: strings(0, 50), invalid: notString.filter((v) => v !== null) },
});

const submitFields = (allowKey: boolean): Spec => ({
  webhookUrl: {
    required: false,
    valid: fc.constantFrom('https://example.com/hook', 'http://127.0.0.1:9/x'),
    invalid: fc.oneof(
      notString.filter((v) => v !== null),
      fc.constantFrom(
        'ftp://example.com/x',
        'javascript:alert(1)',
        'http://',
        'example.com/hook',
        '//x',
        'http:// a.com',
      ),
      junkString.filter((s) => !/^https?:\/\//i.test(s)),
      fc.constant(`https://example.com/${'a'.repeat(3_000)}`),
    ),
  },
  priority: {
    required: false,
    valid: fc.constantFrom('high', 'normal', 'low'),
    invalid: fc.oneof(
      notString.filter((v) => v !== null),
      junkString.filter((s) => !['high', 'normal', 'low'].includes(s)),
      fc.constantFrom('HIGH', 'urgent'),
    ),
  },
  maxRetries: {
    required: false,
    valid: fc.integer({ min: 0, max: 10 }),
    invalid: fc.oneof(
      fc.constantFrom(-1, 11, 1.5, '3', true, [], {}, 1e21, NaN, Infinity, -Infinity),
      fc.integer({ max: -1 }),
      fc.integer({ min: 11 }),
    ),
  },
  timeoutMs: {
    required: false,
    valid: fc.integer({ min: 1_000, max: 3_600_000 }),
    invalid: fc.oneof(
      fc.constantFrom(0, 999, -5, 3_600_001, 1500.5, '30000', false),
      fc.integer({ max: 999 }),
      fc.constant(new Raw('1e309')),
    ),
  },
  delayMs: {
    required: false,
    valid: fc.integer({ min: 0, max: 60_000 }),
    invalid: fc.oneof(fc.constantFrom(-1, 0.5, '10', 31_536_000_001, [], {}), fc.integer({ max: -1 })),
  },
  runAt: { required: false, valid: notIsoDate, invalid: notIsoDate },
  ...(allowKey
    ? {
        idempotencyKey: {
          required: false,
          valid: fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
          invalid: fc.oneof(
            notString.filter((v) => v !== null),
            fc.constantFrom('', 'a b', 'é', 'k\u0000', 'tab\there'),
            tooLong(255),
          ),
        },
      }
    : {}),
});

/** A submission (job or batch item) that must be refused. */
function badJob(allowKey: boolean): fc.Arbitrary<Record<string, unknown>> {
  const fields = submitFields(allowKey);
  // Every type/payload pair below is refused on its own, so the optional fields may be valid or not (runAt is
  // junk either way: a real date could meet a valid delayMs, which is a fault of its own).
  const typeAndPayload = fc.oneof(
    { weight: 3, arbitrary: fc.record({ type: fc.constant('sleep'), payload: badSleepPayload }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('send-email'), payload: badEmailPayload }) },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.oneof(
          notString,
          junkString.filter((s) => !JOB_TYPES.includes(s)),
          tooLong(64),
        ),
        payload: fc.oneof(goodSleepPayload, junkValue),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constantFrom(...JOB_TYPES),
        payload: fc.oneof(junkPrimitive, fc.array(junkValue, { maxLength: 3 }), deepValue),
      }),
    },
    { weight: 1, arbitrary: fc.record({ payload: goodSleepPayload }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('sleep') }) },
  );
  const rest = fc.record(
    Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, fc.oneof(f.valid, f.invalid)])),
    { requiredKeys: [] },
  );
  return fc
    .tuple(
      typeAndPayload,
      rest,
      fc.array(
        fc.tuple(
          junkKey.filter((k) => !(k in fields) && k !== 'type' && k !== 'payload'),
          junkValue,
        ),
        { maxLength: 1 },
      ),
    )
    .map(([core, optional, extras]) => {
      const body: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(core)) withKey(body, k, v);
      for (const [k, v] of Object.entries(optional)) withKey(body, k, v);
      for (const [k, v] of extras) withKey(body, k, v);
      return body;
    });
}

// ---------------------------------------------------------------------------------------------------------
// Paths, ids and query strings.
// ---------------------------------------------------------------------------------------------------------

/** Percent-encodes every byte outside the unreserved set (lone surrogates become U+FFFD, as any client). */
function encode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A path segment that matches no route before any guard runs: empty, or its percent-encoding broken (`%ZZ`). */
function undecodable(segment: string): boolean {
  if (segment === '') return true;
  try {
    decodeURIComponent(segment);
    return false;
  } catch {
    return true;
  }
}

/** Path segments that are already "encoded", some of them badly. */
const RAW_SEGMENTS = [
  '%ZZ',
  '%',
  '%0',
  '%00',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  'a%2Fb',
  '%C0%AE',
  '%F0%9F%98',
  '%FF',
  '%25',
  '%u0041',
  '*',
  'null',
  'undefined',
  '-1',
  '0',
];

const junkSegment = fc.oneof(
  { weight: 3, arbitrary: uuidLike.map(encode) },
  { weight: 3, arbitrary: junkString.filter((s) => s.length < 3_000).map(encode) },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
  { weight: 1, arbitrary: fc.integer().map(String) },
);

const queryValue = fc.oneof(
  junkString.filter((s) => s.length < 2_000),
  fc.constantFrom(
    '1',
    '0',
    '-1',
    '1.5',
    '1e3',
    'NaN',
    'Infinity',
    '100',
    '101',
    '99999999999999999999999',
    '0x10',
    ' 1',
    '',
    'PENDING',
    'pending',
    'DONE,FAILED',
    '2024-01-01T00:00:00Z',
    '2024-13-45',
    'sleep',
    '%00',
    'a\u0000b',
  ),
  fc.integer().map(String),
);

/** name → values, and its encoding (sometimes with raw, badly encoded pieces). */
function queryOf(names: string[]): fc.Arbitrary<{ text: string; query: Record<string, string[]> }> {
  return fc
    .tuple(
      fc.array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom(...names),
            junkKey,
            fc.constantFrom('a[b]', 'page[]', '__proto__[x]', 'constructor[prototype][x]'),
          ),
          queryValue,
        ),
        { maxLength: 6 },
      ),
      fc.constantFrom('', '', '', '&', '&&=&', '&%ZZ=1', '&x=%', '&=', '&status=%FF'),
    )
    .map(([pairs, tail]) => {
      const query = Object.create(null) as Record<string, string[]>;
      for (const [k, v] of pairs) query[k] = [...(query[k] ?? []), v];
      const text = pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&') + tail;
      // What the server sees: the query as a URL parser reads it back (the tail's odd pieces included).
      for (const [k, v] of new URLSearchParams(text)) if (!(k in query)) query[k] = [v];
      return { text: text ? `?${text}` : '', query };
    });
}

// ---------------------------------------------------------------------------------------------------------

interface Context {
  base: URL;
  user: TestUser;
  other: TestUser;
  adminToken?: string;
  jobs: { pending: string; cancelled: string; foreign: string[] };
  keys: { throwaway: string; foreign: string };
  documented: Set<string>;
  operations: { method: string; path: string }[];
  docsStatus: number;
  authJunk: [string, string][][];
}

describe('Fuzz (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let c: Context;
  let before: Record<string, number>;
  const emailsSent = new Set<string>();
  const statuses: Record<string, Record<number, number>> = {};

  const counts = async () => {
    const [row] = await db.query<Record<string, number>[]>(
      `SELECT
        (SELECT count(*)::int FROM users WHERE id = ANY($1)) AS users,
        (SELECT count(*)::int FROM jobs WHERE user_id = ANY($1)) AS jobs,
        (SELECT count(*)::int FROM job_logs l JOIN jobs j ON j.id = l.job_id WHERE j.user_id = ANY($1)) AS job_logs,
        (SELECT count(*)::int FROM api_keys WHERE user_id = ANY($1)) AS api_keys,
        (SELECT count(*)::int FROM webhook_deliveries d JOIN jobs j ON j.id = d.job_id WHERE j.user_id = ANY($1)) AS webhook_deliveries,
        (SELECT count(*)::int FROM refresh_tokens WHERE user_id = ANY($1)) AS refresh_tokens`,
      [[c.user.id, c.other.id]],
    );
    return row;
  };

  /** Runs `numRuns` generated probes through the server: each answer is verified, then `expectation` applies. */
  async function fuzz<T>(
    group: string,
    arbitrary: fc.Arbitrary<T>,
    numRuns: number,
    toProbe: (value: T) => Probe,
    expectation: (answer: Answer, value: T, probe: Probe) => string | undefined = () => undefined,
  ) {
    const seed = SEED + [...group].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) | 0, 0);
    try {
      await fc.assert(
        fc.asyncProperty(arbitrary, async (value) => {
          const probe = toProbe(value);
          const answer = await send(c.base, probe, group);
          (statuses[group] ??= {})[answer.status] = (statuses[group][answer.status] ?? 0) + 1;
          verifyAnswer(probe, answer, c.documented);
          const broken = expectation(answer, value, probe);
          if (broken) throw new Error(`${broken}\n${describeProbe(probe, answer)}`);
        }),
        { seed, numRuns },
      );
    } catch (error) {
      // eslint-disable-next-line preserve-caught-error -- its cause holds megabytes of counterexample, cut short here
      throw new Error(
        `Fuzz group "${group}" failed (FUZZ_SEED=${SEED}; fast-check seed ${seed}).\n${short(error)}`,
      );
    }
  }

  const rejected = (answer: Answer) =>
    answer.status >= 400 && answer.status < 500 ? undefined : `expected a 4xx (this input must be refused)`;

  function authChoice(valid: boolean): fc.Arbitrary<{ headers: [string, string][]; valid: boolean }> {
    const good: [string, string][][] = [
      [['Authorization', `Bearer ${c.user.accessToken}`]],
      [['X-API-Key', c.user.apiKey]],
      [['Authorization', `Bearer ${c.user.apiKey}`]],
    ];
    const junk = fc.oneof(
      fc.constantFrom(...c.authJunk),
      headerValue.map((v): [string, string][] => [['Authorization', `Bearer ${v}`]]),
      headerValue.map((v): [string, string][] => [['Authorization', v]]),
      headerValue.map((v): [string, string][] => [['X-API-Key', v]]),
      headerValue.map((v): [string, string][] => [['X-API-Key', `ck_${v}`]]),
    );
    return valid
      ? fc.oneof(
          { weight: 5, arbitrary: fc.constantFrom(...good).map((headers) => ({ headers, valid: true })) },
          { weight: 1, arbitrary: junk.map((headers) => ({ headers, valid: false })) },
        )
      : junk.map((headers) => ({ headers, valid: false }));
  }

  beforeAll(async () => {
    t = await createTestApp({
      PROCESS_ROLE: 'api',
      RATE_LIMIT_JOBS_PER_MINUTE: '1000000',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: process.env.FUZZ_LOG_LEVEL ?? 'silent',
    });
    db = t.app.get(DataSource);
    const user = await makeUser(t);
    const other = await makeUser(t);

    const pending = await submitJob(t, user.apiKey, {
      type: 'sleep',
      payload: { delayMs: 10 },
      delayMs: 3_600_000,
    });
    const cancelled = await submitJob(t, user.apiKey, {
      type: 'sleep',
      payload: { delayMs: 10 },
      delayMs: 3_600_000,
    });
    await t.http().delete(`/api/jobs/${cancelled.id}`).set('X-API-Key', user.apiKey).expect(200);
    const foreign = [
      (await submitJob(t, other.apiKey, { type: 'sleep', payload: { delayMs: 10 }, delayMs: 3_600_000 })).id,
      (await submitJob(t, other.apiKey, { type: 'sleep', payload: { delayMs: 10 }, delayMs: 3_600_000 })).id,
    ];
    await t.http().delete(`/api/jobs/${foreign[1]}`).set('X-API-Key', other.apiKey).expect(200);
    // Suites share the database, and one of them runs a reconciler that re-enqueues (and logs on) any PENDING
    // row idle for 10 s: these two must look freshly touched for the whole run, or the row counts would move.
    await db.query(`UPDATE jobs SET updated_at = now() + interval '1 day' WHERE id = ANY($1)`, [
      [pending.id, foreign[0]],
    ]);
    const throwaway = await t
      .http()
      .post('/api/auth/api-keys')
      .set(bearer(user.accessToken))
      .send({ name: 'throwaway' })
      .expect(201);
    const revoked = await t
      .http()
      .post('/api/auth/api-keys')
      .set(bearer(user.accessToken))
      .send({ name: 'revoked' })
      .expect(201);
    await t
      .http()
      .delete(`/api/auth/api-keys/${revoked.body.data.id}`)
      .set(bearer(user.accessToken))
      .expect(200);
    const otherKeys = await t.http().get('/api/auth/api-keys').set(bearer(other.accessToken)).expect(200);

    const admin = await t.http().post('/api/auth/login').send(TEST_ADMIN);
    // The OpenAPI document lists the operations to fuzz and every name a field error may use. Should it fail
    // to build, its own test below says so, and field names fall back to the validated DTO properties.
    const docs = await t.http().get('/api/docs-json');
    const document = (docs.status === 200 ? docs.body : { paths: {} }) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = new Set<string>();
    const walk = (node: unknown) => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (node === null || typeof node !== 'object') return;
      const record = node as Record<string, unknown>;
      if (record.properties && typeof record.properties === 'object')
        Object.keys(record.properties).forEach((k) => documented.add(k));
      if (typeof record.name === 'string' && typeof record.in === 'string') documented.add(record.name);
      Object.values(record).forEach(walk);
    };
    walk(document);
    if (docs.status !== 200) {
      const storage = getMetadataStorage() as unknown as {
        validationMetadatas: Map<unknown, { propertyName: string }[]>;
      };
      for (const list of storage.validationMetadatas.values())
        list.forEach((m) => documented.add(m.propertyName));
    }
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((method) => ({ method: method.toUpperCase(), path })),
    );

    const jwt = new JwtService({});
    const claims = { sub: user.id, email: user.email, role: 'user', typ: 'access' };
    const secret = TEST_ENV.JWT_ACCESS_SECRET;
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const [h, p, s] = user.accessToken.split('.');
    const authJunk: [string, string][][] = [
      [],
      [
        [
          'Authorization',
          `Bearer ${jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }, { secret })}`,
        ],
      ],
      [['Authorization', `Bearer ${jwt.sign(claims, { secret: 'not-the-secret-0123456789' })}`]],
      [['Authorization', `Bearer ${jwt.sign({ ...claims, typ: 'refresh' }, { secret })}`]],
      [['Authorization', `Bearer ${jwt.sign({ ...claims, role: 'admin' }, { secret, algorithm: 'HS512' })}`]],
      [['Authorization', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, role: 'admin' })}.`]],
      [['Authorization', `Bearer ${h}.${b64({ ...claims, role: 'admin' })}.${s}`]],
      [['Authorization', `Bearer ${h}.${p}.${s.slice(0, -2)}`]],
      [['Authorization', `Bearer ${user.refreshToken}`]],
      [['Authorization', `Basic ${Buffer.from(`${user.email}:${user.password}`).toString('base64')}`]],
      [['Authorization', `Bearer ${revoked.body.data.key as string}`]],
      [['X-API-Key', revoked.body.data.key as string]],
      [['X-API-Key', user.apiKey.slice(0, -1)]],
      [['X-API-Key', `${user.apiKey} `.repeat(2)]],
      [
        ['X-API-Key', user.apiKey],
        ['X-API-Key', user.apiKey],
      ],
      [
        ['Authorization', 'Bearer junk'],
        ['Authorization', `Bearer ${user.accessToken}`],
      ],
      [['Authorization', `Bearer  ${'a'.repeat(8_000)}`]],
      [['Authorization', 'Bearer']],
      [['Authorization', 'Bearer ck_']],
    ];

    c = {
      base: new URL(t.url),
      user,
      other,
      adminToken: admin.status === 200 ? (admin.body.data.accessToken as string) : undefined,
      jobs: { pending: pending.id, cancelled: cancelled.id, foreign },
      keys: { throwaway: throwaway.body.data.id as string, foreign: otherKeys.body.data[0].id as string },
      documented,
      operations,
      docsStatus: docs.status,
      authJunk,
    };
    before = await counts();
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    await t?.close();
    const total = Object.values(sent).reduce((a, b) => a + b, 0);
    console.log(
      `fuzz (FUZZ_SEED=${SEED}): ${total} HTTP requests; ${c?.operations.length ?? 0} documented operations\n${Object.entries(
        sent,
      )
        .map(([group, n]) => `  ${group}: ${n} ${JSON.stringify(statuses[group] ?? {})}`)
        .join('\n')}`,
    );
  });

  // --- auth ----------------------------------------------------------------------------------------------

  it('POST /api/auth/register refuses every malformed registration and creates nobody', async () => {
    const password = {
      required: true,
      valid: strings(8, 128),
      invalid: fc.oneof(notString, strings(0, 7), tooLong(128)),
    };
    const body = fc.oneof(
      {
        weight: 9,
        arbitrary: rejectedBody({
          email: { required: true, valid: freshEmail, invalid: notEmail },
          password,
        }),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom('', ' ', '\t'), fc.boolean(), strings(8, 40))
          .map(([pad, upper, pw]) =>
            toJson({
              email: `${pad}${upper ? c.user.email.toUpperCase() : c.user.email}${pad}`,
              password: pw,
            }),
          ),
      },
    );
    await fuzz(
      'auth: register',
      fc.tuple(body, contentType, noiseHeaders),
      220,
      ([text, type, noise]) => {
        const input = parseInput(text);
        if (has(input, 'email') && typeof (input as { email: unknown }).email === 'string')
          emailsSent.add((input as { email: string }).email.trim().toLowerCase());
        return {
          method: 'POST',
          path: '/api/auth/register',
          headers: [...type, ...noise],
          body: text,
          input,
        };
      },
      rejected,
    );
  });

  it('POST /api/auth/login refuses malformed bodies and wrong passwords', async () => {
    const spec: Spec = {
      email: { required: true, valid: fc.oneof(freshEmail, fc.constant(c.user.email)), invalid: notEmail },
      password: {
        required: true,
        valid: strings(1, 128).filter((p) => p !== c.user.password),
        invalid: fc.oneof(notString, fc.constant(''), tooLong(128)),
      },
    };
    const wrongPassword = fc
      .tuple(
        fc.oneof(freshEmail, fc.constant(c.user.email)),
        strings(1, 64).filter((p) => p !== c.user.password),
      )
      .map(([email, password]) => toJson({ email, password }));
    await fuzz(
      'auth: login',
      fc.tuple(
        fc.oneof({ weight: 12, arbitrary: rejectedBody(spec) }, { weight: 1, arbitrary: wrongPassword }),
        contentType,
        noiseHeaders,
      ),
      140,
      ([text, type, noise]) => ({
        method: 'POST',
        path: '/api/auth/login',
        headers: [...type, ...noise],
        body: text,
        input: parseInput(text),
      }),
      rejected,
    );
  });

  it('POST /api/auth/refresh and /logout refuse junk refresh tokens', async () => {
    const junkToken = fc.oneof(
      strings(1, 200),
      junkString.filter((s) => s.length > 0 && s.length <= 4096),
      fc.constantFrom(
        c.user.accessToken,
        c.user.apiKey,
        `${c.user.refreshToken}x`,
        c.user.refreshToken.slice(0, -3),
        ...c.authJunk
          .flat()
          .map(([, v]) => v.replace(/^Bearer\s+/, ''))
          // Never the real refresh token: logging out with it would be a request that must succeed.
          .filter((v) => v.length > 0 && v.length <= 4096 && v !== c.user.refreshToken),
      ),
    );
    const spec: Spec = {
      refreshToken: {
        required: true,
        valid: junkToken,
        invalid: fc.oneof(notString, fc.constant(''), tooLong(4096)),
      },
    };
    const body = fc.oneof(
      { weight: 3, arbitrary: rejectedBody(spec) },
      { weight: 2, arbitrary: junkToken.map((refreshToken) => toJson({ refreshToken })) },
    );
    for (const route of ['refresh', 'logout']) {
      await fuzz(
        `auth: ${route}`,
        fc.tuple(body, contentType, noiseHeaders),
        110,
        ([text, type, noise]) => ({
          method: 'POST',
          path: `/api/auth/${route}`,
          headers: [...type, ...noise],
          body: text,
          input: parseInput(text),
        }),
        rejected,
      );
    }
  });

  it('GET /api/auth/me, api-keys and webhook-secret answer junk credentials with 401', async () => {
    const paths = ['/api/auth/me', '/api/auth/api-keys', '/api/auth/webhook-secret'];
    await fuzz(
      'auth: me, api-keys, webhook-secret (GET)',
      fc.tuple(fc.constantFrom(...paths), authChoice(true), queryOf(['page', 'x']), noiseHeaders),
      180,
      ([path, auth, query, noise]) => ({
        method: 'GET',
        path: `${path}${query.text}`,
        headers: [...auth.headers, ...noise],
        query: query.query,
      }),
      (answer, [, auth]) =>
        auth.valid
          ? answer.status === 200
            ? undefined
            : 'expected 200'
          : answer.status === 401
            ? undefined
            : 'expected 401',
    );
  });

  it('POST /api/auth/api-keys refuses malformed names; POST webhook-secret/rotate survives junk', async () => {
    const spec: Spec = {
      name: {
        required: true,
        valid: strings(1, 100).filter((s) => s.trim().length > 0),
        invalid: fc.oneof(notString, fc.constant(''), tooLong(100), fc.constant('a\u0000b')),
      },
    };
    await fuzz(
      'auth: api-keys (POST)',
      fc.tuple(rejectedBody(spec), authChoice(true), contentType, noiseHeaders),
      130,
      ([text, auth, type, noise]) => ({
        method: 'POST',
        path: '/api/auth/api-keys',
        headers: [...auth.headers, ...type, ...noise],
        body: text,
        input: parseInput(text),
      }),
      rejected,
    );
    await fuzz(
      'auth: webhook-secret/rotate',
      fc.tuple(fc.oneof(notAnObjectBody, junkValue.map(toJson)), authChoice(false), contentType),
      40,
      ([text, auth, type]) => ({
        method: 'POST',
        path: '/api/auth/webhook-secret/rotate',
        headers: [...auth.headers, ...type],
        body: text,
        input: parseInput(text),
      }),
      rejected,
    );
  });

  it('DELETE /api/auth/api-keys/:id answers 404 for foreign, unknown and malformed ids', async () => {
    const id = fc.oneof(
      { weight: 1, arbitrary: fc.constant(c.keys.foreign) },
      { weight: 1, arbitrary: fc.constantFrom(...c.jobs.foreign, c.jobs.pending) },
      { weight: 4, arbitrary: junkSegment },
    );
    await fuzz(
      'auth: api-keys/:id (DELETE)',
      fc.tuple(id, authChoice(true), noiseHeaders),
      100,
      ([segment, auth, noise]) => ({
        method: 'DELETE',
        path: `/api/auth/api-keys/${segment}`,
        headers: [...auth.headers, ...noise],
      }),
      (answer, [segment, auth]) =>
        answer.status === (auth.valid || undecodable(segment) ? 404 : 401)
          ? undefined
          : `expected ${auth.valid ? 404 : 401}`,
    );
  });

  // --- jobs ----------------------------------------------------------------------------------------------

  it('POST /api/jobs refuses every malformed submission and writes nothing', async () => {
    await fuzz(
      'jobs: submit',
      fc.tuple(
        fc.oneof(
          { weight: 8, arbitrary: badJob(true).map(toJson) },
          { weight: 1, arbitrary: notAnObjectBody },
        ),
        authChoice(true),
        contentType,
        noiseHeaders,
      ),
      420,
      ([text, auth, type, noise]) => ({
        method: 'POST',
        path: '/api/jobs',
        headers: [...auth.headers, ...type, ...noise],
        body: text,
        input: parseInput(text),
      }),
      rejected,
    );
  });

  it('POST /api/jobs refuses a valid body sent with bad headers (Idempotency-Key, Content-Type, charset, encoding, credentials)', async () => {
    const valid = fc
      .record({
        delayMs: fc.integer({ min: 0, max: 1_000 }),
        priority: fc.constantFrom('high', 'normal', 'low'),
      })
      .map(({ delayMs, priority }) =>
        toJson({ type: 'sleep', payload: { delayMs }, priority, delayMs: 3_600_000 }),
      );
    const key = fc.stringMatching(/^[\x21-\x7e]{1,30}$/);
    const badHeaders: fc.Arbitrary<[string, string][]> = fc.oneof(
      fc.tuple(key, key).map(([a, b]): [string, string][] => [
        ['Content-Type', 'application/json'],
        ['Idempotency-Key', a],
        ['Idempotency-Key', b],
      ]),
      fc
        .oneof(
          fc.constantFrom('', ' ', 'a b', 'é', '\u00ff\u00fe', 'tab\there'),
          tooLong(255),
          fc
            .string({ unit: headerChar, minLength: 1, maxLength: 40 })
            .filter((s) => !/^[\x21-\x7e]{1,255}$/.test(s.trim()) && s.trim().length > 0),
        )
        .map((k): [string, string][] => [
          ['Content-Type', 'application/json'],
          ['Idempotency-Key', k],
        ]),
      fc.constantFrom(...NOT_JSON_TYPES).map((ct): [string, string][] => [['Content-Type', ct]]),
      fc.constant<[string, string][]>([]),
      fc.constantFrom('gzip', 'deflate', 'br', 'x-junk', 'compress').map((e): [string, string][] => [
        ['Content-Type', 'application/json'],
        ['Content-Encoding', e],
      ]),
    );
    await fuzz(
      'jobs: submit (valid body, bad headers)',
      fc.tuple(
        valid,
        fc.oneof(
          { weight: 4, arbitrary: badHeaders.map((headers) => ({ headers, auth: true })) },
          {
            weight: 1,
            arbitrary: fc.constant({
              headers: [['Content-Type', 'application/json']] as [string, string][],
              auth: false,
            }),
          },
        ),
        fc.constantFrom(...c.authJunk),
      ),
      140,
      ([text, { headers, auth }, junkAuth]) => ({
        method: 'POST',
        path: '/api/jobs',
        headers: [...(auth ? ([['X-API-Key', c.user.apiKey]] as [string, string][]) : junkAuth), ...headers],
        body: text,
        input: parseInput(text),
      }),
      rejected,
    );
  });

  it('POST /api/jobs/batch refuses every malformed batch and writes nothing', async () => {
    const goodItem = goodSleepPayload.map((payload) => ({ type: 'sleep', payload, delayMs: 3_600_000 }));
    const batch = fc.oneof(
      {
        weight: 5,
        arbitrary: fc
          .tuple(fc.array(goodItem, { maxLength: 4 }), badJob(false), fc.array(goodItem, { maxLength: 4 }))
          .map(([a, bad, b]) => ({ jobs: [...a, bad, ...b] })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(goodItem, fc.stringMatching(/^[\x21-\x7e]{1,20}$/))
          .map(([item, k]) => ({ jobs: [{ ...item, idempotencyKey: k }] })),
      },
      { weight: 1, arbitrary: fc.constant({ jobs: [] }) },
      { weight: 1, arbitrary: goodItem.map((item) => ({ jobs: Array.from({ length: 101 }, () => item) })) },
      {
        weight: 2,
        arbitrary: fc
          .oneof(
            junkPrimitive,
            fc.array(junkPrimitive, { maxLength: 3 }),
            deepValue,
            fc.jsonValue({ maxDepth: 2 }),
          )
          .map((jobs) => ({ jobs })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.array(goodItem, { minLength: 1, maxLength: 2 }),
            junkKey.filter((k) => k !== 'jobs'),
            junkValue,
          )
          .map(([jobs, k, v]) => withKey({ jobs }, k, v)),
      },
      { weight: 1, arbitrary: fc.record({ job: goodItem }) },
    );
    await fuzz(
      'jobs: batch',
      fc.tuple(
        fc.oneof({ weight: 8, arbitrary: batch.map(toJson) }, { weight: 1, arbitrary: notAnObjectBody }),
        authChoice(true),
        contentType,
        noiseHeaders,
      ),
      230,
      ([text, auth, type, noise]) => ({
        method: 'POST',
        path: '/api/jobs/batch',
        headers: [...auth.headers, ...type, ...noise],
        body: text,
        input: parseInput(text),
      }),
      rejected,
    );
  });

  it('GET /api/jobs answers any query string with 200 or a field-named 400', async () => {
    await fuzz(
      'jobs: list',
      fc.tuple(queryOf(['page', 'limit', 'status', 'type', 'from', 'to']), authChoice(true), noiseHeaders),
      260,
      ([query, auth, noise]) => ({
        method: 'GET',
        path: `/api/jobs${query.text}`,
        headers: [...auth.headers, ...noise],
        query: query.query,
      }),
      (answer, [, auth]) =>
        !auth.valid
          ? answer.status === 401
            ? undefined
            : 'expected 401'
          : [200, 400].includes(answer.status)
            ? undefined
            : 'expected 200 or 400',
    );
  });

  it('job routes by id answer valid, foreign, unknown and malformed ids without a 5xx, and refuse every change', async () => {
    type Op = { method: string; suffix: string; own: string[] };
    // Own ids only where the request must still be refused: no cancel of a PENDING job, no retry of a CANCELLED one.
    const ops: Op[] = [
      { method: 'GET', suffix: '', own: [c.jobs.pending, c.jobs.cancelled] },
      { method: 'PATCH', suffix: '', own: [c.jobs.pending, c.jobs.cancelled] },
      { method: 'DELETE', suffix: '', own: [c.jobs.cancelled] },
      { method: 'POST', suffix: '/retry', own: [c.jobs.pending] },
      { method: 'GET', suffix: '/logs', own: [c.jobs.pending, c.jobs.cancelled] },
      { method: 'GET', suffix: '/artifact', own: [c.jobs.pending, c.jobs.cancelled] },
      { method: 'GET', suffix: '/webhook-logs', own: [c.jobs.pending, c.jobs.cancelled] },
      { method: 'POST', suffix: '/webhook-logs/redeliver', own: [c.jobs.pending, c.jobs.cancelled] },
    ];
    const patchBody = (ownCancelled: boolean) =>
      ownCancelled
        ? fc.oneof(
            rejectedBody({
              priority: { required: false, valid: fc.constantFrom('high', 'low'), invalid: junkValue },
              runAt: {
                required: false,
                valid: fc.constant(new Date(Date.now() + 3_600_000).toISOString()),
                invalid: notIsoDate,
              },
            }),
            fc.constantFrom(
              toJson({ priority: 'high' }),
              toJson({ runAt: new Date(Date.now() + 60_000).toISOString() }),
            ),
          )
        : rejectedBody({
            priority: {
              required: false,
              valid: fc.constantFrom('high', 'normal', 'low'),
              invalid: fc.oneof(
                notString.filter((v) => v !== null),
                junkString.filter((s) => !['high', 'normal', 'low'].includes(s)),
              ),
            },
            runAt: {
              required: false,
              valid: fc.constant(new Date(Date.now() + 3_600_000).toISOString()),
              invalid: notIsoDate.filter((v) => v !== null),
            },
          });
    const arbitrary = fc
      .constantFrom(...ops)
      .chain((op) =>
        fc.tuple(
          fc.constant(op),
          fc.oneof(
            { weight: 2, arbitrary: fc.constantFrom(...op.own).map((id) => ({ id, kind: 'own' })) },
            {
              weight: 1,
              arbitrary: fc
                .constantFrom(...c.jobs.foreign, c.keys.throwaway)
                .map((id) => ({ id, kind: 'foreign' })),
            },
            { weight: 3, arbitrary: junkSegment.map((id) => ({ id, kind: 'junk' })) },
          ),
          authChoice(true),
          noiseHeaders,
        ),
      )
      .chain(([op, id, auth, noise]) =>
        fc.tuple(
          fc.constant({ op, id, auth, noise }),
          op.method === 'PATCH'
            ? patchBody(id.id === c.jobs.cancelled).map((b): string | Buffer | undefined => b)
            : fc.option(fc.oneof(notAnObjectBody, junkValue.map(toJson)), { nil: undefined }),
          contentType,
        ),
      );
    await fuzz(
      'jobs: by id (get/patch/delete/retry/logs/artifact/webhook-logs/redeliver)',
      arbitrary,
      520,
      ([{ op, id, auth, noise }, body, type]) => ({
        method: op.method,
        path: `/api/jobs/${id.id}${op.suffix}`,
        headers: [...auth.headers, ...(body === undefined ? [] : type), ...noise],
        body,
        input: body === undefined ? undefined : parseInput(body),
      }),
      (answer, [{ op, id, auth }]) => {
        if (op.method !== 'GET' && answer.status < 400) return `a change was accepted (${answer.status})`;
        // body-parser answers before any guard: malformed JSON, a bad Content-Type or size come first.
        const code = (answer.json as { code?: string } | undefined)?.code ?? '';
        const bodyLevel = ['MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'].includes(code);
        // A path that cannot be percent-decoded matches no id before any guard runs: 404.
        const notFound = answer.status === 404 && undecodable(id.id);
        if (!auth.valid) return answer.status === 401 || bodyLevel || notFound ? undefined : 'expected 401';
        if (id.kind === 'foreign' && ![404, 400, 413, 415].includes(answer.status))
          return 'expected 404 for a foreign id';
        return undefined;
      },
    );
  });

  // --- everything the OpenAPI document lists, plus health and unknown routes -------------------------------

  it('every path and method of GET /api/docs-json survives junk ids, queries, bodies and credentials', async () => {
    expect(c.docsStatus).toBe(200);
    expect(c.operations.length).toBeGreaterThanOrEqual(15);
    const mayChange = new Set(['POST /api/auth/webhook-secret/rotate', 'DELETE /api/auth/api-keys/{id}']);
    const credentials = fc.oneof(
      authChoice(true).map((a) => a.headers),
      c.adminToken
        ? fc.constant<[string, string][]>([['Authorization', `Bearer ${c.adminToken}`]])
        : fc.constant<[string, string][]>([]),
    );
    const arbitrary = fc.constantFrom(...c.operations).chain((op) =>
      fc.tuple(
        fc.constant(op),
        // Writes only ever see ids that are not the fuzzing user's jobs, so that nothing they do can succeed.
        op.method === 'GET'
          ? fc.oneof(junkSegment, fc.constantFrom(c.jobs.pending, c.jobs.cancelled, ...c.jobs.foreign))
          : fc.oneof(junkSegment, fc.constantFrom(...c.jobs.foreign, c.keys.foreign, c.keys.throwaway)),
        queryOf(['page', 'limit', 'status', 'type', 'from', 'to', 'userId', 'q', 'dryRun']),
        op.method === 'GET' ? credentials : authChoice(true).map((a) => a.headers),
        // A body always carries an unknown key, so no DTO can accept it.
        fc.oneof(
          fc
            .tuple(
              junkKey.filter((k) => !c.documented.has(k)),
              junkValue,
              fc.jsonValue({ maxDepth: 2 }),
            )
            .map(([k, v, rest]) =>
              toJson(
                withKey(
                  rest !== null && typeof rest === 'object' && !Array.isArray(rest) ? { ...rest } : {},
                  k,
                  v,
                ),
              ),
            ),
          notAnObjectBody,
        ),
        fc.boolean(),
        contentType,
      ),
    );
    await fuzz(
      'openapi: every documented operation',
      arbitrary,
      Math.max(420, c.operations.length * 20),
      ([op, id, query, auth, body, withBody, type]) => {
        const path = op.path.replace(/\{[^}]+\}/g, id);
        const hasBody = withBody && op.method !== 'GET';
        return {
          method: op.method,
          path: `${path}${query.text}`,
          headers: [...auth, ...(hasBody ? type : [])],
          body: hasBody ? body : undefined,
          input: hasBody ? parseInput(body) : undefined,
          query: query.query,
        };
      },
      (answer, [op]) =>
        op.method !== 'GET' && answer.status < 300 && !mayChange.has(`${op.method} ${op.path}`)
          ? `${op.method} ${op.path} accepted a junk request`
          : undefined,
    );
  });

  it('health, metrics, unknown routes and unsupported methods answer junk with an envelope', async () => {
    const target = fc.oneof(
      fc.constantFrom(
        '/health',
        '/health/ready',
        '/metrics',
        '/health/',
        '/HEALTH',
        '/api',
        '/api/',
        '/api/nope',
        '/api/jobs/x/y/z',
        '/%ZZ',
        '/api/%ZZ',
        '/..%2F..%2Fetc%2Fpasswd',
        '/api/jobs/stats/extra',
      ),
      junkSegment.map((s) => `/api/${s}`),
    );
    await fuzz(
      'health, metrics, unknown routes',
      fc.tuple(
        target,
        fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        queryOf(['x']),
        authChoice(true),
        fc.option(notAnObjectBody, { nil: undefined }),
        contentType,
      ),
      160,
      ([path, method, query, auth, body, type]) => ({
        method,
        path: `${path}${query.text}`,
        headers: [...auth.headers, ...(body === undefined ? [] : type)],
        body,
        input: body === undefined ? undefined : parseInput(body),
        query: query.query,
      }),
      (answer, [path, method]) =>
        method !== 'GET' && answer.status < 300 ? `${method} ${path} accepted a junk request` : undefined,
    );
  });

  it('answers 413 with the envelope for bodies over 1 MiB, on every route that takes a body', async () => {
    const routes = [
      '/api/auth/register',
      '/api/auth/login',
      '/api/auth/refresh',
      '/api/auth/api-keys',
      '/api/jobs',
      '/api/jobs/batch',
      `/api/jobs/${c.jobs.pending}`,
    ];
    await fuzz(
      'oversized bodies (413)',
      fc.tuple(
        fc.constantFrom(...routes),
        fc.integer({ min: MiB + 1, max: 3 * MiB }),
        fc.constantFrom('string', 'array'),
      ),
      8,
      ([path, size, shape]) => {
        const body =
          shape === 'string'
            ? `{"type":"sleep","payload":{"delayMs":1,"pad":"${'x'.repeat(size)}"}}`
            : `{"jobs":[${'{"type":"sleep","payload":{"delayMs":1}},'.repeat(Math.ceil(size / 40))}{}]}`;
        return {
          method: path.startsWith('/api/jobs/') && path !== '/api/jobs/batch' ? 'PATCH' : 'POST',
          path,
          headers: [
            ['X-API-Key', c.user.apiKey],
            ['Content-Type', 'application/json'],
          ],
          body,
        };
      },
      (answer) =>
        answer.status === 413 && (answer.json as { code?: string }).code === 'PAYLOAD_TOO_LARGE'
          ? undefined
          : 'expected 413 PAYLOAD_TOO_LARGE',
    );
  });

  // --- Socket.io -----------------------------------------------------------------------------------------

  it('socket messages with junk payloads are answered (ack, error or pong) and never drop the connection', async () => {
    const client: RecordingSocket = await connectSocket(t.url, { token: c.user.accessToken });
    const socket = client.socket as unknown as {
      connected: boolean;
      emit: (event: string, ...args: unknown[]) => void;
    };
    let disconnected = '';
    client.socket.on('disconnect', (reason) => (disconnected = reason));
    const nested = (depth: number) => {
      let value: unknown = 'bottom';
      for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { jobId: value };
      return value;
    };
    const socketJunk: fc.Arbitrary<unknown> = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      junkString.filter((s) => s.length < 200_000),
      fc
        .oneof(junkPrimitive, uuidLike, fc.constantFrom(c.jobs.pending, ...c.jobs.foreign))
        .map((jobId) => ({ jobId })),
      fc.constantFrom(c.jobs.pending, c.jobs.cancelled).map((jobId) => ({ jobId })),
      fc.tuple(junkKey, junkPrimitive).map(([k, v]) => withKey({ jobId: c.jobs.pending }, k, v)),
      fc.constantFrom(1, 10, 100, 1_000).map(nested),
      fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)),
      fc.constant(undefined),
    );
    const message = fc.record({
      event: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('subscribe', 'unsubscribe', 'ping') },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            'error',
            'message',
            'connected',
            'subscribed',
            'job:updated',
            'pong',
            '__proto__',
            'constructor',
            'toString',
            'hasOwnProperty',
            '',
            'x'.repeat(5_000),
          ),
        },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
      ),
      args: fc.array(socketJunk, { maxLength: 3 }),
      ack: fc.boolean(),
    });
    const RESERVED = [
      'connect',
      'connect_error',
      'disconnect',
      'disconnecting',
      'newListener',
      'removeListener',
    ];
    const waitFor = async (done: () => boolean, what: string, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    let messages = 0;
    const socketStats = { 'ack success': 0, 'ack failure': 0, 'error events': 0, pongs: 0 };
    const seed = SEED + 7;
    try {
      await fc.assert(
        fc.asyncProperty(
          message.filter((m) => !RESERVED.includes(m.event)),
          async ({ event, args, ack }) => {
            messages += 1;
            const show = () => `${event}(${JSON.stringify(args)?.slice(0, 300)}) ack=${ack}`;
            const pongs = client.all('pong').length;
            const answers = event === 'subscribe' || event === 'unsubscribe';
            let acked: unknown = undefined;
            if (ack) socket.emit(event, ...args, (answer: unknown) => (acked = answer ?? null));
            else socket.emit(event, ...args);
            const errorsBefore = client.all('error').length;
            if (ack && answers) {
              await waitFor(() => acked !== undefined, `ack to ${show()}`);
              const a = acked as { success?: unknown; message?: unknown };
              if (typeof a?.success !== 'boolean' || (a.success === false && typeof a.message !== 'string'))
                throw new Error(`malformed ack ${JSON.stringify(acked)} to ${show()}`);
              socketStats[a.success ? 'ack success' : 'ack failure'] += 1;
              const first = args[0] as { jobId?: unknown } | undefined;
              const own = [c.jobs.pending, c.jobs.cancelled].includes(first?.jobId as string);
              if (event === 'subscribe' && a.success && !own)
                throw new Error(`subscribed to a job that is not the user's: ${show()}`);
              if (event === 'subscribe' && !a.success && own && args.length === 1)
                throw new Error(`refused a subscription to the user's own job: ${show()}`);
              // A refused subscription also says so with an error event (sent before the ack).
              if (event === 'subscribe' && !a.success && client.all('error').length === errorsBefore)
                throw new Error(`no error event for a refused subscription: ${show()}`);
            }
            if (event === 'ping') await waitFor(() => client.all('pong').length > pongs, `pong to ${show()}`);
            // Still connected and answering, in order: a ping after the message gets its pong.
            const after = client.all('pong').length;
            socket.emit('ping');
            await waitFor(() => client.all('pong').length > after, `pong after ${show()}`);
            if (!socket.connected || disconnected)
              throw new Error(`disconnected (${disconnected}) after ${show()}`);
            for (const error of client.all('error')) {
              if (typeof (error as { message?: unknown }).message !== 'string')
                throw new Error(`malformed error event ${JSON.stringify(error)}`);
            }
          },
        ),
        { seed, numRuns: 320 },
      );
    } catch (error) {
      // eslint-disable-next-line preserve-caught-error -- its cause holds megabytes of counterexample, cut short here
      throw new Error(
        `Fuzz group "socket" failed (FUZZ_SEED=${SEED}; fast-check seed ${seed}).\n${short(error)}`,
      );
    } finally {
      client.close();
    }
    sent['socket messages'] = messages;
    socketStats['error events'] = client.all('error').length;
    socketStats.pongs = client.all('pong').length;
    statuses['socket messages'] = socketStats;
  });

  it('refuses text PostgreSQL cannot hold (U+0000, lone surrogates) inside otherwise valid requests', async () => {
    const bad = fc
      .tuple(
        strings(0, 8),
        fc.constantFrom('\u0000', '\ud800', '\udfff', '\udc00\ud800', '\u0000\u0000'),
        strings(0, 8),
      )
      .map(([a, x, b]) => `${a}${x}${b}`);
    const nul = fc.tuple(strings(0, 8), strings(0, 8)).map(([a, b]) => `${a}\u0000${b}`);
    const key: [string, string][] = [['X-API-Key', c.user.apiKey]];
    const later = { delayMs: 3_600_000 };
    const cases = fc.oneof(
      bad.map((name) => ({ path: '/api/auth/api-keys', headers: key, body: { name } })),
      fc.tuple(freshEmail, bad).map(([email, s]) => ({
        path: '/api/auth/register',
        headers: [],
        body: { email, password: `password-${s}` },
      })),
      bad.map((password) => ({
        path: '/api/auth/login',
        headers: [],
        body: { email: c.user.email, password },
      })),
      bad.map((refreshToken) => ({ path: '/api/auth/refresh', headers: [], body: { refreshToken } })),
      bad.map((subject) => ({
        path: '/api/jobs',
        headers: key,
        body: { type: 'send-email', payload: { to: 'ada@example.com', subject, body: 'x' }, ...later },
      })),
      bad.map((body) => ({
        path: '/api/jobs/batch',
        headers: key,
        body: { jobs: [{ type: 'http-request', payload: { url: 'http://127.0.0.1:9/', body }, ...later }] },
      })),
      bad.map((cell) => ({
        path: '/api/jobs',
        headers: key,
        body: { type: 'csv-export', payload: { data: [{ name: cell }] }, ...later },
      })),
      nul.map((type) => ({ path: `/api/jobs?type=${encode(type)}`, headers: key, body: undefined })),
      nul.map((to) => ({ path: `/api/jobs?to=${encode(to)}`, headers: key, body: undefined })),
    );
    await fuzz(
      'unstorable text (U+0000, lone surrogates)',
      cases,
      120,
      ({ path, headers, body }) => {
        const text = body === undefined ? undefined : toJson(body);
        const input = text === undefined ? undefined : parseInput(text);
        if (has(input, 'email')) emailsSent.add(String((input as { email: unknown }).email).toLowerCase());
        return {
          method: body === undefined ? 'GET' : 'POST',
          path,
          headers: [
            ...(headers as [string, string][]),
            ...(text === undefined ? [] : ([['Content-Type', 'application/json']] as [string, string][])),
          ],
          body: text,
          input,
          query:
            body === undefined
              ? Object.fromEntries([...new URLSearchParams(path.split('?')[1])].map(([k, v]) => [k, [v]]))
              : undefined,
        };
      },
      (answer) => (answer.status === 400 ? undefined : 'expected 400 naming the field'),
    );
  });

  // --- afterwards --------------------------------------------------------------------------------------

  it('is still ready, and no rejected request wrote a row', async () => {
    const ready = await send(c.base, { method: 'GET', path: '/health/ready', headers: [] }, 'final checks');
    expect(ready.status).toBe(200);
    expect(await counts()).toEqual(before);
    emailsSent.delete(c.user.email.toLowerCase());
    // PostgreSQL text cannot hold U+0000: such an email can be in no row (and cannot be a query parameter).
    for (const email of emailsSent) if (email.includes('\u0000')) emailsSent.delete(email);
    const [{ n }] = await db.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM users WHERE email = ANY($1)',
      [[...emailsSent]],
    );
    expect(n).toBe(0);
    const http = Object.entries(sent).filter(([g]) => g !== 'socket messages' && g !== 'final checks');
    expect(http.reduce((sum, [, n]) => sum + n, 0)).toBeGreaterThanOrEqual(2_000);
  });
});
