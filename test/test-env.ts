import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The environment every e2e test runs with: its own database and Redis DB, quiet logs, generous auth limits
 * (the per-IP limit has a test of its own with its own Redis DB). PG_URL / REDIS_BASE_URL move the servers.
 */
const pg = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const redis = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

// TEST_DB_SUFFIX / TEST_REDIS_DB let two test runs on one machine stay out of each other's way.
export const TEST_DATABASE = `conveyor_test${process.env.TEST_DB_SUFFIX ? `_${process.env.TEST_DB_SUFFIX}` : ''}`;
export const TEST_REDIS_DB = Number(process.env.TEST_REDIS_DB ?? 15);
export const TEST_ADMIN = { email: 'admin@conveyor.test', password: 'admin-password-for-tests' };

export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  // No workers unless a suite asks for them (PROCESS_ROLE=all); each app gets its own queue prefix.
  PROCESS_ROLE: 'api',
  // Suites share a database: a background reconciler would queue another suite's PENDING rows into its own
  // queues. Suites that need it call JobReconciler.runOnce() themselves.
  RECONCILE_INTERVAL_MS: '3600000',
  // Spawned workers would all try the default metrics port; a test that wants it sets one.
  METRICS_PORT: '0',
  LOG_LEVEL: 'silent',
  DATABASE_URL: `${pg}/${TEST_DATABASE}`,
  DB_MIGRATIONS_RUN: 'false',
  REDIS_URL: `${redis}/${TEST_REDIS_DB}`,
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  RATE_LIMIT_JOBS_PER_MINUTE: '100000',
  RATE_LIMIT_REPLAYS_PER_MINUTE: '100000',
  RATE_LIMIT_REDELIVERIES_PER_MINUTE: '100000',
  ADMIN_EMAIL: TEST_ADMIN.email,
  ADMIN_PASSWORD: TEST_ADMIN.password,
  ALLOW_PRIVATE_NETWORK_TARGETS: 'true',
  ARTIFACTS_DIR: join(tmpdir(), 'conveyor-test-artifacts'),
  JWT_ACCESS_SECRET: 'test-access-secret-0123456789',
  JWT_REFRESH_SECRET: 'test-refresh-secret-0123456789',
};

export const serverUrls = { pg, redis };
