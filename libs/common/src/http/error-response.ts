import { HttpException, HttpStatus } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { AppError, ErrorCode, FieldErrors } from '../errors/app-error';

export interface ErrorBody {
  success: false;
  message: string;
  code: ErrorCode;
  requestId: string;
  errors?: FieldErrors;
  retryAfter?: number;
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  /** Unexpected: the filter logs these with their stack; the client sees only `INTERNAL`. */
  unexpected: boolean;
}

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** body-parser's error types (they carry `type` and `status`). */
const BODY_PARSER_ERRORS: Record<string, [number, ErrorCode, string]> = {
  'entity.parse.failed': [400, 'MALFORMED_JSON', 'Malformed JSON in request body'],
  'entity.too.large': [413, 'PAYLOAD_TOO_LARGE', 'Request body exceeds the 1 MiB limit'],
  'encoding.unsupported': [415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported content encoding'],
  'charset.unsupported': [415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported charset'],
  'request.aborted': [400, 'VALIDATION_FAILED', 'Request aborted'],
};

/** Network-level failures of PostgreSQL (node-postgres, TypeORM) and Redis (ioredis). */
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'Connection is closed',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  'Cannot use a pool after calling end',
  'the database system is',
  'terminating connection',
  'is not queryable', // node-postgres: a client whose connection was lost or closed
];

export function isBackendUnavailable(error: unknown): boolean {
  // Duck-typed: errors raised by Node's own sockets may come from another realm (jest's VM), where
  // `instanceof Error` is false.
  if (typeof error !== 'object' || error === null || typeof (error as Error).message !== 'string')
    return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_ERRNO.has(code) || /^(08|57P)/.test(code))) return true;
  if ((error as Error).name === 'MaxRetriesPerRequestError') return true;
  // TypeORM releases a query runner when its connection emits 'error' (e.g. terminated by the server), so a
  // query that had already obtained it fails with this instead of the connection's own error.
  if ((error as Error).name === 'QueryRunnerAlreadyReleasedError') return true;
  const cause =
    (error as { driverError?: unknown; cause?: unknown }).driverError ?? (error as { cause?: unknown }).cause;
  if (cause && cause !== error && isBackendUnavailable(cause)) return true;
  return UNAVAILABLE_MESSAGES.some((m) => (error as Error).message.includes(m));
}

/** Turns anything thrown while serving a request into API.md's error envelope. */
export function toErrorResponse(error: unknown, requestId: string): ErrorResponse {
  const reply = (status: number, code: ErrorCode, message: string, extra: Partial<ErrorBody> = {}) => ({
    status,
    body: { success: false as const, message, code, requestId, ...extra },
    unexpected: false,
  });

  if (error instanceof AppError) {
    return reply(error.status, error.code, error.message, error.errors ? { errors: error.errors } : {});
  }
  if (error instanceof ThrottlerException) {
    return reply(HttpStatus.TOO_MANY_REQUESTS, 'RATE_LIMITED', 'Too many requests. Try again later.');
  }
  if (error instanceof HttpException) {
    // A path parameter with a broken percent-encoding (`/api/jobs/%ZZ`): it cannot name anything.
    if ((error.cause as Error | undefined)?.name === 'URIError') {
      return reply(HttpStatus.NOT_FOUND, 'NOT_FOUND', 'Not found');
    }
    const status = error.getStatus();
    const response = error.getResponse();
    const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : error.message;
    return reply(status, STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED'), message);
  }
  const type = (error as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && BODY_PARSER_ERRORS[type]) {
    const [status, code, message] = BODY_PARSER_ERRORS[type];
    return reply(status, code, message);
  }
  // Any other client error of an Express middleware (http-errors): body-parser failing to inflate a gzip,
  // deflate or br body, a body shorter than its Content-Length. Its message is meant for the client.
  const http = error as { status?: unknown; expose?: unknown; message?: unknown } | null;
  if (
    typeof http?.status === 'number' &&
    http.status >= 400 &&
    http.status < 500 &&
    http.expose === true &&
    typeof http.message === 'string'
  ) {
    return http.status === 400
      ? reply(400, 'MALFORMED_JSON', `Malformed request body: ${http.message}`)
      : reply(http.status, STATUS_CODES[http.status] ?? 'INVALID_OPERATION', http.message);
  }
  if (isBackendUnavailable(error)) {
    return reply(
      HttpStatus.SERVICE_UNAVAILABLE,
      'SERVICE_UNAVAILABLE',
      'A backing service is unavailable. Try again shortly.',
    );
  }
  return {
    ...reply(HttpStatus.INTERNAL_SERVER_ERROR, 'INTERNAL', 'Internal server error'),
    unexpected: true,
  };
}
