import type { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import type { Params } from 'nestjs-pino';
import { stdSerializers } from 'pino';
import type { Env } from './env';

/** Paths pino blanks in every line: credentials never reach the logs. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.refreshToken',
  '*.accessToken',
  '*.apiKey',
  '*.key',
  '*.secret',
  '*.webhookSecret',
];

/** A URL as the logs show it: a token in the query string (socket.io's ?token=) is not logged. */
export const redactedUrl = (url: string) =>
  url.replace(/([?&](token|api_key|apiKey)=)[^&]*/gi, '$1[redacted]');

/** Webhook secrets, API keys and JWTs, wherever they appear in a logged string. */
const SECRET_LIKE = /whsec_[A-Za-z0-9+/=]+|ck_[\w-]+|eyJ[\w-]+\.[\w-]+\.[\w-]*/g;

export const scrubSecrets = (text: string) => text.replace(SECRET_LIKE, '[redacted]');

/**
 * Errors as pino's standard serializer writes them, minus what a database error carries of the request's
 * data: TypeORM's QueryFailedError (and pg's error under `driverError`) hold the query's `parameters`
 * (secrets, whole job payloads); those are dropped, and secret-looking strings in every text field blanked.
 */
export function serializeError(error: unknown): unknown {
  const serialized = stdSerializers.err(error as Error) as unknown;
  return scrub(serialized, 0);
}

function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (!value || typeof value !== 'object' || depth > 5) return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = key === 'parameters' || key === 'parameter' ? '[redacted]' : scrub(item, depth + 1);
  }
  return out;
}

/** Structured JSON logs; each request line carries the request id that the `X-Request-Id` header shows. */
export function loggerOptions(config: ConfigService<Env, true>): Params {
  return {
    pinoHttp: {
      level: config.get('LOG_LEVEL', { infer: true }),
      name: config.get('APP_NAME', { infer: true }),
      genReqId: (req) => (req as Request & { id: string }).id,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: {
        err: serializeError,
        // The status is enough; response headers are repeated boilerplate.
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        req: (req: { id: string; method?: string; url?: string; headers?: Record<string, unknown> }) => ({
          id: req.id,
          method: req.method,
          url: redactedUrl(req.url ?? ''),
          headers: req.headers,
        }),
      },
      customLogLevel: (_req, res, error) =>
        error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/health/ready' },
    },
  };
}
