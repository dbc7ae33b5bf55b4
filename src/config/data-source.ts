import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { Env } from './env';

/** One definition for the app, the e2e setup and the TypeORM CLI (typeorm-cli.data-source.ts). */
export function dataSourceOptions(env: Pick<Env, 'DATABASE_URL'>): DataSourceOptions {
  const root = join(__dirname, '..', '..');
  return {
    type: 'postgres',
    url: env.DATABASE_URL,
    entities: [join(root, 'src', '**', '*.entity.{ts,js}')],
    migrations: [join(root, 'migrations', '*.{ts,js}')],
    migrationsTableName: 'migrations',
    synchronize: false,
    uuidExtension: 'pgcrypto', // gen_random_uuid(), built into PostgreSQL 13+
    extra: {
      max: 20,
      connectionTimeoutMillis: 5000,
      // The hot path's named prepared statements (preparedQuery) save the parse, but their plan must follow
      // the table: PostgreSQL's cached generic plan, chosen while `jobs` is small (a new deployment), would
      // keep scanning the whole table as it grows until an ANALYZE, which never comes with autovacuum off
      // (as on this machine). Custom plans are re-planned per execution with the table's real size. The
      // other queries are unnamed and planned per execution anyway.
      options: '-c plan_cache_mode=force_custom_plan',
      // pg-pool drops its own 'error' listener when it hands a client out, and TypeORM attaches one only a
      // microtask later: a connection terminated in that gap (its FATAL parsed in the same chunk as the
      // ReadyForQuery) emitted 'error' with no listener and crashed the process. The pool and TypeORM still
      // handle the error (the client is discarded); this listener only keeps it from being unhandled.
      onConnect: (client: { on: (event: 'error', listener: () => void) => unknown }) => {
        client.on('error', () => undefined);
      },
    },
  };
}
