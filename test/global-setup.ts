import Redis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/config/data-source';
import { serverUrls, TEST_DATABASE, TEST_ENV } from './test-env';

/** A fresh database (its name must say "test") with every migration applied, and an empty Redis DB. */
export default async function globalSetup() {
  if (!TEST_DATABASE.includes('test'))
    throw new Error(`Refusing to reset ${TEST_DATABASE}: not a test database`);
  const admin = new Client({ connectionString: `${serverUrls.pg}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEST_DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEST_DATABASE}`);
  await admin.end();

  const db = new DataSource(dataSourceOptions({ DATABASE_URL: TEST_ENV.DATABASE_URL }));
  await db.initialize();
  await db.runMigrations({ transaction: 'all' });
  await db.destroy();

  const redis = new Redis(TEST_ENV.REDIS_URL);
  await redis.flushdb();
  await redis.quit();
}
