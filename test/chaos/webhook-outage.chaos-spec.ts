import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { eventually } from '@app/testing/eventually';
import { WEBHOOKS_QUEUE } from '../../src/modules/webhooks/webhooks.queue';
import {
  FlakyReceiver,
  observer,
  startWorker,
  submitBatches,
  until,
  waitForStatuses,
  Worker,
} from './chaos-kit';

/**
 * How long the receiver is down. The issue asks for 30 s; the default is 8 s to keep the suite short, and
 * CHAOS_WEBHOOK_OUTAGE_MS=30000 runs the full-length outage (the retries are sized from it either way).
 */
const OUTAGE_MS = Number(process.env.CHAOS_WEBHOOK_OUTAGE_MS ?? 8000);
/**
 * Attempt k of a delivery comes 2^k - 2 s after the first (waits of 2 s, 4 s, 8 s…), so the last of n
 * attempts must come after the outage plus some slack: n = ceil(log2(outage + 2 s + slack)), and one more
 * so a late start cannot use up the last one.
 */
const ATTEMPTS = Math.ceil(Math.log2(OUTAGE_MS / 1000 + 2 + 3)) + 1;
/** When the last attempt of a delivery that failed first at the start of the outage is due. */
const LAST_ATTEMPT_MS = (2 ** ATTEMPTS - 2) * 1000;

/**
 * A webhook receiver is down for OUTAGE_MS while jobs with a webhookUrl finish. With WEBHOOK_MAX_ATTEMPTS
 * raised through configuration, every delivery lands once it is back, exactly once per job, and all the
 * attempts of one delivery share its `webhook-id` (a retry is never a new delivery).
 */
describe(`Chaos: webhook receiver down for ${OUTAGE_MS / 1000} s`, () => {
  let t: TestApp;
  let db: Client;
  let user: TestUser;
  const receiver = new FlakyReceiver();
  const workers: Worker[] = [];

  beforeAll(async () => {
    await receiver.start();
    const env = { WEBHOOK_MAX_ATTEMPTS: String(ATTEMPTS), WEBHOOK_TIMEOUT_MS: '2000' };
    t = await createTestApp({ PROCESS_ROLE: 'api', ...env });
    db = await observer();
    user = await makeUser(t);
    workers.push(await startWorker({ WORKER_CONCURRENCY: '8', ...env }));
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await t?.close();
    await db?.end();
    await receiver.stop();
  });

  const jobsWithHook = (count: number) =>
    submitBatches(
      t,
      user.apiKey,
      Array.from({ length: count }, () => ({
        type: 'sleep',
        payload: { delayMs: 10 },
        webhookUrl: `${receiver.url}/hooks`,
      })),
    );
  const receivedFor = (ids: string[]) => receiver.received.filter((hook) => ids.includes(hook.jobId));
  /** Every one of `ids` has a failed first attempt recorded (the receiver was down for it). */
  const failedFirst = (ids: string[]) =>
    eventually(async () => {
      const { rows } = await db.query<{ count: number }>(
        `SELECT count(DISTINCT job_id)::int AS count FROM webhook_deliveries
         WHERE job_id = ANY($1::uuid[]) AND attempt = 1 AND NOT success`,
        [ids],
      );
      if (rows[0].count !== ids.length) throw new Error(`${rows[0].count} of ${ids.length} failed once`);
    }, 20_000);

  it(
    'delivers every webhook once the receiver is back, once each, under one webhook-id',
    async () => {
      // Up: delivered at once.
      const before = await jobsWithHook(2);
      await until(() => expect(receivedFor(before)).toHaveLength(2));

      // Down: jobs finish at the start and in the middle of the outage; their first attempts fail.
      await receiver.stop();
      const downAt = Date.now();
      const early = await jobsWithHook(10);
      await waitForStatuses(db, early, ['DONE'], 20_000);
      await failedFirst(early);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, downAt + OUTAGE_MS / 2 - Date.now())));
      const late = await jobsWithHook(10);
      await waitForStatuses(db, late, ['DONE'], 20_000);
      await failedFirst(late);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, downAt + OUTAGE_MS - Date.now())));
      expect(receivedFor([...early, ...late])).toEqual([]);

      // Back: every delivery lands within its remaining retries.
      await receiver.start();
      const all = [...before, ...early, ...late];
      await until(() => {
        const landed = new Set(receivedFor(all).map((hook) => hook.jobId));
        if (landed.size !== all.length) throw new Error(`${landed.size} of ${all.length} delivered`);
      }, LAST_ATTEMPT_MS + 15_000);
      // Nothing is left to deliver (no retry still waiting that could deliver a second time).
      const deliveries = t.app.get<Queue>(getQueueToken(WEBHOOKS_QUEUE));
      await eventually(async () => {
        expect(await deliveries.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed')).toEqual({
          wait: 0,
          active: 0,
          delayed: 0,
          prioritized: 0,
          failed: 0,
        });
      });

      // Exactly one POST reached the receiver per job, signed, and it is the delivery every attempt belonged to.
      const hooks = receivedFor(all);
      expect(hooks).toHaveLength(all.length);
      const { rows } = await db.query<{ job_id: string; delivery_ids: string[]; attempts: number }>(
        `SELECT job_id, array_agg(DISTINCT delivery_id::text) AS delivery_ids, max(attempt)::int AS attempts
       FROM webhook_deliveries WHERE job_id = ANY($1::uuid[]) GROUP BY job_id`,
        [all],
      );
      const recorded = new Map(rows.map((row) => [row.job_id, row]));
      const verifier = new Webhook(user.webhookSecret);
      for (const hook of hooks) {
        const row = recorded.get(hook.jobId)!;
        expect({ jobId: hook.jobId, ids: row.delivery_ids }).toEqual({
          jobId: hook.jobId,
          ids: [hook.webhookId],
        });
        expect(hook.attempt).toBe(row.attempts);
        expect(verifier.verify(hook.body, hook.headers as Record<string, string>)).toMatchObject({
          jobId: hook.jobId,
          status: 'DONE',
        });
      }
      // The outage's deliveries needed retries; the ones before it did not.
      for (const hook of receivedFor(before)) expect(hook.attempt).toBe(1);
      for (const hook of receivedFor([...early, ...late])) expect(hook.attempt).toBeGreaterThan(1);
    },
    60_000 + 2 * LAST_ATTEMPT_MS,
  );
});
