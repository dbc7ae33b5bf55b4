import type { ConfigService } from '@nestjs/config';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

export const PROCESS_ROLES = ['all', 'api', 'worker'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

/** The secrets shipped in .env.example: fine for a laptop, refused in production. */
export const EXAMPLE_JWT_SECRETS = ['change-me-access-secret', 'change-me-refresh-secret'];

const DURATION = /^[1-9]\d*(s|m|h|d)$/;
const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);
const BOOLEANS: Record<string, boolean> = { true: true, '1': true, false: false, '0': false };
/** `true`/`1` and `false`/`0` become booleans; anything else stays as given, for @IsBoolean to report. */
const toBoolean = ({ value }: { value: unknown }) =>
  typeof value === 'string' && Object.hasOwn(BOOLEANS, value) ? BOOLEANS[value] : value;
const BOOLEAN_MESSAGE = {
  message: ({ property }: { property: string }) => `${property} must be true, false, 1 or 0`,
};

/** Old names still read while the new one is unset; bootstrap logs one deprecation line for each one present. */
export const DEPRECATED_VARIABLES = { WEBHOOK_MAX_RETRIES: 'WEBHOOK_MAX_ATTEMPTS' } as const;

/** Every environment variable Conveyor reads. Defaults match .env.example, so a bare checkout runs locally. */
export class EnvDto {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @IsNotEmpty()
  APP_NAME = 'Conveyor';

  @IsIn(PROCESS_ROLES)
  PROCESS_ROLE: ProcessRole = 'all';

  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/conveyor';

  /** Apply pending migrations when the process starts. */
  @Transform(toBoolean)
  @IsBoolean(BOOLEAN_MESSAGE)
  DB_MIGRATIONS_RUN = true;

  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL?: string;

  @IsString()
  @IsNotEmpty()
  REDIS_HOST = '127.0.0.1';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  REDIS_PORT = 6379;

  @IsString()
  @MinLength(16)
  JWT_ACCESS_SECRET = 'change-me-access-secret';

  @IsString()
  @MinLength(16)
  JWT_REFRESH_SECRET = 'change-me-refresh-secret';

  @Matches(DURATION, { message: 'JWT_ACCESS_EXPIRES_IN must be a duration such as 900s, 15m or 1h' })
  JWT_ACCESS_EXPIRES_IN = '15m';

  @Matches(DURATION, { message: 'JWT_REFRESH_EXPIRES_IN must be a duration such as 12h or 7d' })
  JWT_REFRESH_EXPIRES_IN = '7d';

  /** Login and register attempts per IP per minute. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUTH_RATE_LIMIT_PER_MINUTE = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  WORKER_CONCURRENCY = 5;

  /**
   * BullMQ lock of a running job or webhook delivery (both workers use it and the stalled interval below); a
   * worker that dies is noticed after about lock + stalled interval.
   */
  @Transform(toInt)
  @IsInt()
  @Min(500)
  @Max(600_000)
  WORKER_LOCK_DURATION_MS = 30_000;

  @Transform(toInt)
  @IsInt()
  @Min(500)
  @Max(600_000)
  WORKER_STALLED_INTERVAL_MS = 30_000;

  /** On SIGTERM a worker lets running jobs finish this long, then leaves the rest to another worker. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_GRACE_MS = 10_000;

  /** How often a worker re-enqueues PENDING rows without a queue entry and repairs lost ones. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  RECONCILE_INTERVAL_MS = 30_000;

  /**
   * Jobs of one user PROCESSING at once across all workers; 0 is no cap. Unlimited by default: fair sharing
   * already gives every other tenant the next free worker, and a cap would leave workers idle while only one
   * tenant has work. Set it (or a user's own, PATCH /api/admin/users/:id) when jobs are long.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(100_000)
  USER_MAX_CONCURRENCY = 0;

  /** Tenants take turns among waiting jobs (start-time fair queuing); false: one queue, first come first served. */
  @Transform(toBoolean)
  @IsBoolean(BOOLEAN_MESSAGE)
  FAIR_SHARING = true;

  /** Key prefix of the BullMQ queues in Redis. */
  @Matches(/^[\w-]{1,64}$/, { message: 'QUEUE_PREFIX must be 1-64 letters, digits, _ or -' })
  QUEUE_PREFIX = 'conveyor';

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  JOB_TIMEOUT_MS = 30_000;

  /** Worker threads per worker process for CPU-heavy job types (csv-export, generate-report). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  JOB_THREADS = 2;

  /** Heap ceiling of one job thread (one attempt of a CPU-heavy type); over it the attempt fails for good. */
  @Transform(toInt)
  @IsInt()
  @Min(16)
  @Max(16_384)
  JOB_MEMORY_LIMIT_MB = 256;

  /**
   * Times a job's worker may die while running it (its lock lapses) before the job is quarantined: FAILED,
   * never picked up again.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(100)
  JOB_MAX_STALLS = 3;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10)
  MAX_RETRIES = 3;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(120_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** Delivery attempts in all per webhook event (formerly WEBHOOK_MAX_RETRIES). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  WEBHOOK_MAX_ATTEMPTS = 3;

  /** Webhook deliveries one worker process makes at the same time. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  WEBHOOK_CONCURRENCY = 10;

  /**
   * Webhook deliveries of one user in flight at once across all workers; more wait (held, no attempt used).
   * Smaller than WEBHOOK_CONCURRENCY, so one user's slow receivers always leave a worker's slots to others.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(255)
  WEBHOOK_USER_CONCURRENCY = 2;

  /** Job submissions and retries per user per minute (a batch counts each job). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_JOBS_PER_MINUTE = 10;

  /** Jobs an admin may replay (POST /api/admin/jobs/replay) per minute: one full replay (1000) by default. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_REPLAYS_PER_MINUTE = 1000;

  /** Webhook redeliveries (POST /api/jobs/:id/webhook-logs/redeliver) per user per minute. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_REDELIVERIES_PER_MINUTE = 10;

  /** `*`, or a comma-separated list of origins. */
  @IsString()
  @IsNotEmpty()
  CORS_ORIGIN = '*';

  @IsUrl(
    { protocols: ['smtp', 'smtps'], require_tld: false },
    { message: 'SMTP_URL must be an smtp:// or smtps:// URL' },
  )
  SMTP_URL = 'smtp://127.0.0.1:1025';

  @IsString()
  @IsNotEmpty()
  MAIL_FROM = 'Conveyor <no-reply@conveyor.local>';

  @IsString()
  @IsNotEmpty()
  ARTIFACTS_DIR = './artifacts';

  /**
   * The largest file one job may keep, in bytes (default 32 MiB: resize-image's former output cap, and well
   * above what a csv-export or generate-report of a bounded payload produces). Over it the attempt fails for
   * good and nothing is kept.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(4 * 1024 ** 3)
  ARTIFACT_MAX_BYTES = 32 * 1024 * 1024;

  /** What one user's kept artifacts may add up to, in MiB; an artifact that would go over it is not kept. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(16 * 1024 * 1024)
  USER_STORAGE_QUOTA_MB = 500;

  @Transform(toBoolean)
  @IsBoolean(BOOLEAN_MESSAGE)
  ALLOW_PRIVATE_NETWORK_TARGETS = false;

  @IsOptional()
  @IsEmail({}, { message: 'ADMIN_EMAIL must be an email address' })
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'ADMIN_PASSWORD must be at least 8 characters' })
  ADMIN_PASSWORD?: string;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT = 9464;

  @IsOptional()
  @IsString()
  METRICS_TOKEN?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  JOB_RETENTION_DAYS = 30;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';
}

export type Env = EnvDto;

/**
 * Validates the environment for ConfigModule and the TypeORM CLI. Empty strings count as unset, so
 * `PORT=` in a .env falls back to the default. A deprecated name stands in for its new one when that is
 * unset. Throws one line per bad variable, naming it.
 */
export function validateEnv(raw: Record<string, unknown>): EnvDto {
  const present = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  for (const [old, current] of Object.entries(DEPRECATED_VARIABLES)) {
    if (present[old] !== undefined && present[current] === undefined) present[current] = present[old];
  }
  const env = plainToInstance(EnvDto, present, { exposeDefaultValues: true });
  // "must be an integer" says more about PORT=abc than the range checks that also fail.
  const problems = validateSync(env, { skipMissingProperties: false }).map(
    (e) => `${e.property}: ${e.constraints?.isInt ?? Object.values(e.constraints ?? {})[0]}`,
  );
  const { WEBHOOK_USER_CONCURRENCY: perUser, WEBHOOK_CONCURRENCY: perWorker } = env;
  if (Number.isInteger(perUser) && Number.isInteger(perWorker) && perUser >= perWorker) {
    problems.push(
      `WEBHOOK_USER_CONCURRENCY: must be smaller than WEBHOOK_CONCURRENCY (${perUser} is not smaller than ${perWorker}), so that one user's slow receivers cannot take every delivery slot of a worker`,
    );
  }
  if (env.NODE_ENV === 'production') {
    for (const name of ['JWT_ACCESS_SECRET', 'JWT_REFRESH_SECRET'] as const) {
      if (!present[name] || EXAMPLE_JWT_SECRETS.includes(env[name])) {
        problems.push(
          `${name}: must be set to a secret of your own in production (not the .env.example value)`,
        );
      }
    }
  }
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return env;
}

/** One line for each deprecated variable set in `raw`, naming its replacement. */
export function deprecatedVariablesIn(raw: Record<string, unknown>): string[] {
  return Object.entries(DEPRECATED_VARIABLES)
    .filter(([old]) => raw[old] !== undefined && raw[old] !== '')
    .map(
      ([old, current]) =>
        `${old} is deprecated: set ${current} instead (${old} is read only while ${current} is unset)`,
    );
}

export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
  }
}

export function redisUrl(env: Pick<Env, 'REDIS_URL' | 'REDIS_HOST' | 'REDIS_PORT'>): string {
  return env.REDIS_URL ?? `redis://${env.REDIS_HOST}:${env.REDIS_PORT}`;
}

/** The same, read through Nest's ConfigService. */
export function redisUrlOf(config: ConfigService<Env, true>): string {
  return redisUrl({
    REDIS_URL: config.get('REDIS_URL', { infer: true }),
    REDIS_HOST: config.get('REDIS_HOST', { infer: true }),
    REDIS_PORT: config.get('REDIS_PORT', { infer: true }),
  });
}

/**
 * Lock settings shared by both BullMQ workers (jobs and webhook deliveries): an entry whose worker died is
 * taken again after about lock + stalled interval, and only an entry that stalls more than three times (a
 * payload that kills its worker every time) is given up. The jobs worker replaces the three with
 * JOB_MAX_STALLS (see queueWorkerDefinitions), and quarantines such a job (RunJobProcessor).
 */
export function workerLockOptions(config: ConfigService<Env, true>) {
  return {
    lockDuration: config.get('WORKER_LOCK_DURATION_MS', { infer: true }),
    stalledInterval: config.get('WORKER_STALLED_INTERVAL_MS', { infer: true }),
    maxStalledCount: 3,
  };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `15m` → 900. Durations are validated by EnvDto, so the pattern always matches here. */
export function durationSeconds(duration: string): number {
  const [, amount, unit] = /^(\d+)(s|m|h|d)$/.exec(duration) ?? ['', '0', 's'];
  return Number(amount) * UNIT_SECONDS[unit];
}
