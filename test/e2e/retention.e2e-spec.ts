import { CommandBus } from '@nestjs/cqrs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { eventually } from '@app/testing/eventually';
import { submitJob, waitForJob } from '@app/testing/jobs';
import { PurgeExpiredJobsCommand } from '../../src/modules/jobs/commands/purge-expired-jobs/purge-expired-jobs.command';
import { TEST_ENV } from '../test-env';

/** Finished jobs older than JOB_RETENTION_DAYS go, with their logs, deliveries and files; young ones stay. */
describe('Retention (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ PROCESS_ROLE: 'all', JOB_RETENTION_DAYS: '30' });
    db = t.app.get(DataSource);
    user = await makeUser(t);
  });
  afterAll(() => t.close());

  const finishedCsv = async () => {
    const job = await submitJob(t, user.apiKey, {
      type: 'csv-export',
      payload: { data: [{ a: 1 }, { a: 2 }] },
    });
    return waitForJob(t, user.apiKey, job.id);
  };
  const count = async (table: string, jobId: string) =>
    (
      await db.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM ${table} WHERE ${table === 'jobs' ? 'id' : 'job_id'} = $1`,
        [jobId],
      )
    )[0].n;
  const artifactDir = (jobId: string) => join(TEST_ENV.ARTIFACTS_DIR, jobId);

  it('purges old finished jobs in batches and keeps young and unfinished ones', async () => {
    const old = [await finishedCsv(), await finishedCsv(), await finishedCsv()];
    const young = await finishedCsv();
    const pendingOld = await submitJob(t, user.apiKey, {
      type: 'sleep',
      payload: { delayMs: 10 },
      delayMs: 3_600_000,
    });
    for (const job of old) {
      expect(existsSync(artifactDir(job.id))).toBe(true);
      await db.query(
        `INSERT INTO webhook_deliveries (delivery_id, job_id, url, event, payload, status_code, success, attempt, duration_ms)
         VALUES (gen_random_uuid(), $1, 'https://example.com/hook', 'job.done', '{}', 200, true, 1, 5)`,
        [job.id],
      );
    }
    await db.query(`UPDATE jobs SET finished_at = now() - interval '31 days' WHERE id = ANY($1)`, [
      old.map((j) => j.id),
    ]);
    await db.query(`UPDATE jobs SET created_at = now() - interval '40 days' WHERE id = $1`, [pendingOld.id]);

    const { purged } = await t.app.get(CommandBus).execute(new PurgeExpiredJobsCommand(2));
    expect(purged).toBeGreaterThanOrEqual(3);

    for (const job of old) {
      expect(await count('jobs', job.id)).toBe(0);
      expect(await count('job_logs', job.id)).toBe(0);
      await eventually(async () => expect(await count('webhook_deliveries', job.id)).toBe(0));
      expect(existsSync(artifactDir(job.id))).toBe(false);
      await t.http().get(`/api/jobs/${job.id}`).set('X-API-Key', user.apiKey).expect(404);
    }
    expect(await count('jobs', young.id)).toBe(1);
    expect(await count('job_logs', young.id)).toBeGreaterThan(0);
    expect(existsSync(artifactDir(young.id))).toBe(true);
    await t.http().get(`/api/jobs/${young.id}/artifact`).set('X-API-Key', user.apiKey).expect(200);
    expect(await count('jobs', pendingOld.id)).toBe(1);
  });
});
