import { Client } from 'pg';
import { Env, InvalidConfigError, redisUrl, validateEnv } from './config/env';

/** Start-up checks that turn the usual first-run failures into one clear line and exit code 1. */
export class PreflightError extends Error {}

export function checkConfig(raw: NodeJS.ProcessEnv): Env {
  try {
    return validateEnv(raw);
  } catch (error) {
    if (error instanceof InvalidConfigError) throw new PreflightError(error.message);
    throw error;
  }
}

/** bullmq 6 lists ioredis as an optional peer; without it the app spins forever instead of failing. */
export function checkIoredis() {
  try {
    require.resolve('ioredis');
  } catch {
    throw new PreflightError(
      "The 'ioredis' package is missing: run `npm ci` (BullMQ needs it to reach Redis).",
    );
  }
}

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

/** Connects to PostgreSQL; creates the database when the server answers but the database does not exist. */
export async function checkPostgres(url: string) {
  const attempt = async (target: string) => {
    const client = new Client({ connectionString: target, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  };
  try {
    await (await attempt(url)).end();
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') {
      throw new PreflightError(
        `PostgreSQL is not reachable at ${redact(url)} (${(error as Error).message}). Start it, e.g. ` +
          '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` or `docker compose up -d postgres`, ' +
          'or set DATABASE_URL.',
      );
    }
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.slice(1));
    parsed.pathname = '/postgres';
    const admin = await attempt(parsed.toString());
    try {
      await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
    } catch (createError) {
      if ((createError as { code?: string }).code !== '42P04') throw createError; // created meanwhile
    } finally {
      await admin.end();
    }
  }
}

export async function checkRedis(env: Env) {
  const Redis = (require('ioredis') as typeof import('ioredis')).default;
  const url = redisUrl(env);
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 5000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new PreflightError(
      `Redis is not reachable at ${redact(url)} (${(error as Error).message || 'connection refused'}). Start it, e.g. ` +
        '`redis-server --daemonize yes --port 6379` or `docker compose up -d redis`, or set REDIS_URL.',
    );
  } finally {
    redis.disconnect();
  }
}
