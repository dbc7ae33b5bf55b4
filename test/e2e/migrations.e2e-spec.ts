import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/config/data-source';
import { serverUrls } from '../test-env';

/** The migrations build exactly the schema the entities describe, and revert cleanly. */
describe('Migrations (e2e)', () => {
  const database = `conveyor_test_migrations_${process.pid}`;
  const admin = new Client({ connectionString: `${serverUrls.pg}/postgres` });
  let db: DataSource;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
    db = new DataSource(dataSourceOptions({ DATABASE_URL: `${serverUrls.pg}/${database}` }));
    await db.initialize();
  });
  afterAll(async () => {
    await db.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('leave no difference between the entities and the database', async () => {
    const applied = await db.runMigrations({ transaction: 'all' });
    expect(applied.length).toBeGreaterThan(0);
    const pending = await db.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('revert to an empty schema', async () => {
    const applied = async () =>
      (await db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM migrations`))[0].n;
    while ((await applied()) > 0) await db.undoLastMigration();
    const tables = await db.query<{ table_name: string }[]>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    );
    expect(tables).toEqual([]);
  });
});
