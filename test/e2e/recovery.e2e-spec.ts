import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { jobLogs, waitForJob } from '@app/testing/jobs';
import { WebhookReceiver } from '@app/testing/webhook-receiver';
import { JobReconciler } from '../../src/modules/jobs/job-reconciler';
import { WebhookOutboxScan } from '../../src/modules/webhooks/webhook-outbox-scan';

/**
 * What PostgreSQL says must happen after a process died, done by the sweepers on the real app (worker
 * in-process): a lost attempt runs again with the budget it had left, a final event nobody queued is
 * delivered, and a deleted job takes its webhook deliveries with it.
 */
describe('Recovery (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let queue: Queue;
  let user: TestUser;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    t = await createTestApp({
      PROCESS_ROLE: 'all',
      WORKER_LOCK_DURATION_MS: '2000',
      WORKER_STALLED_INTERVAL_MS: '1000',
    });
    db = t.app.get(DataSource);
    queue = t.app.get<Queue>(getQueueToken('jobs'));
    user = await makeUser(t);
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  /** A job row as a process that died would leave it, with no queue entry. */
  const insertJob = async (columns: Record<string, unknown>) => {
    const row = {
      user_id: user.id,
      type: 'sleep',
      priority: 'normal',
      payload: JSON.stringify({ delayMs: 10 }),
      max_retries: 3,
      timeout_ms: 30000,
      ...columns,
    };
    const names = Object.keys(row);
    const [{ id }] = await db.query<{ id: string }[]>(
      `INSERT INTO jobs (${names.join(', ')}) VALUES (${names.map((_, n) => `$${n + 1}`).join(', ')}) RETURNING id`,
      Object.values(row),
    );
    return id;
  };

  it('runs a job whose third of four attempts was lost only with the runs it had left', async () => {
    const id = await insertJob({
      status: 'PROCESSING',
      attempts: 3,
      attempts_total: 3,
      payload: JSON.stringify({ delayMs: 10, forceFail: true }),
      started_at: new Date(Date.now() - 600_000),
      updated_at: new Date(Date.now() - 600_000),
    });
    const { repaired } = await t.app.get(JobReconciler).runOnce();
    expect(repaired).toBeGreaterThanOrEqual(1);
    // The lost attempt does not count: 4 - 3 + 1 runs left, not a new budget of 4.
    const entry = await queue.getJob(id);
    expect(entry?.opts.attempts).toBe(2);

    const failed = await waitForJob(t, user.apiKey, id, undefined, 30_000);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 5 });
    const lines = (await jobLogs(t, user.apiKey, id)).map((line) => line.message);
    expect(lines.filter((line) => / started \(status PROCESSING\)$/.test(line))).toEqual([
      'Attempt 4 of 4 started (status PROCESSING)',
      'Attempt 5 of 4 started (status PROCESSING)',
    ]);
    expect(lines[0]).toBe('Repaired by the reconciler: its worker lost the job');
  });

  it("delivers a finished job's final event that its process never queued, once", async () => {
    const finishedAt = new Date(Date.now() - 60_000);
    const id = await insertJob({
      status: 'DONE',
      attempts: 1,
      result: JSON.stringify({ sleptMs: 10 }),
      progress: 100,
      webhook_url: `${receiver.url}/outbox`,
      webhook_pending: true,
      finished_at: finishedAt,
    });
    const scan = t.app.get(WebhookOutboxScan);
    expect(await scan.runOnce()).toBeGreaterThanOrEqual(1);
    const [hook] = await receiver.waitFor('/outbox');
    expect(JSON.parse(hook.body)).toMatchObject({
      jobId: id,
      status: 'DONE',
      timestamp: finishedAt.toISOString(),
    });
    const [{ webhook_pending }] = await db.query<{ webhook_pending: boolean }[]>(
      `SELECT webhook_pending FROM jobs WHERE id = $1`,
      [id],
    );
    expect(webhook_pending).toBe(false);
    expect(await scan.runOnce()).toBe(0);
  });

  it('deletes the webhook deliveries of a deleted job in the same statement, whatever deletes it', async () => {
    const id = await insertJob({ status: 'DONE', attempts: 1, finished_at: new Date() });
    await db.query(
      `INSERT INTO webhook_deliveries (delivery_id, job_id, url, event, payload, status_code, success, attempt, duration_ms)
       VALUES (gen_random_uuid(), $1, 'https://example.com/hook', 'job.done', '{}', 200, true, 1, 5)`,
      [id],
    );
    // What a crash right after retention's DELETE would leave: nothing but the DELETE itself.
    await db.query(`DELETE FROM jobs WHERE id = $1`, [id]);
    const [{ n }] = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM webhook_deliveries WHERE job_id = $1`,
      [id],
    );
    expect(n).toBe(0);
  });
});
