import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { makeUser, TestUser } from '@app/testing/factories';
import { submitJob } from '@app/testing/jobs';
import { spawnApp, SpawnedApp } from '@app/testing/spawn-app';
import { WEBHOOKS_QUEUE } from '../../src/modules/webhooks/webhooks.queue';
import { verifyByHand, verifyWithLibrary, WebhookReceiver, webhookLogs } from '@app/testing/webhook-receiver';
import { pollUntil } from '@app/testing/eventually';

/**
 * A delivery waiting for its retry lives in Redis, not in a worker: the API runs in-process
 * (PROCESS_ROLE=api), the worker is a real child process (the built dist) that is SIGKILLed while the
 * delivery waits out its 2 s backoff; a new worker process delivers attempt 2 under the same webhook-id.
 */
describe('Webhooks across a worker restart (e2e)', () => {
  const receiver = new WebhookReceiver();
  const workers: SpawnedApp[] = [];
  let t: TestApp;
  let user: TestUser;
  let deliveries: Queue;

  const startWorker = async () => {
    const worker = spawnApp({
      PROCESS_ROLE: 'worker',
      LOG_LEVEL: 'info',
      QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
      WEBHOOK_MAX_ATTEMPTS: '3',
    });
    workers.push(worker);
    await worker.waitForOutput(/Running jobs with concurrency/);
    return worker;
  };

  beforeAll(async () => {
    await receiver.start();
    t = await createTestApp({ PROCESS_ROLE: 'api', WEBHOOK_MAX_ATTEMPTS: '3' });
    deliveries = t.app.get<Queue>(getQueueToken(WEBHOOKS_QUEUE));
    user = await makeUser(t);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await t?.close();
    await receiver.close();
  });

  it('completes a delivery pending retry with a new worker process, same webhook-id', async () => {
    let answer = 500;
    receiver.respond('/hook', () => answer);
    const first = await startWorker();
    const job = await submitJob(t, user.apiKey, {
      type: 'sleep',
      payload: { delayMs: 10 },
      webhookUrl: `${receiver.url}/hook`,
    });

    const [failed] = await pollUntil(
      () => webhookLogs(t, user.apiKey, job.id),
      (rows) => rows.length > 0,
    );
    expect(failed).toMatchObject({ attempt: 1, success: false, statusCode: 500 });
    // Kill it once the attempt is settled in Redis (waiting for its retry), not mid-attempt.
    await pollUntil(
      async () => (await deliveries.getJob(failed.deliveryId))?.getState(),
      (state) => state === 'delayed',
    );
    expect((await first.stop('SIGKILL')).signal).toBe('SIGKILL');

    answer = 200;
    await startWorker();
    const logs = await pollUntil(
      () => webhookLogs(t, user.apiKey, job.id),
      (rows) => rows.length >= 2,
      30_000,
    );
    expect(logs).toEqual([
      expect.objectContaining({ deliveryId: failed.deliveryId, attempt: 1, success: false, statusCode: 500 }),
      expect.objectContaining({ deliveryId: failed.deliveryId, attempt: 2, success: true, statusCode: 200 }),
    ]);

    const hooks = receiver.on('/hook');
    expect(hooks).toHaveLength(2);
    expect(hooks.map((h) => h.headers['webhook-id'])).toEqual([failed.deliveryId, failed.deliveryId]);
    expect(hooks.map((h) => h.headers['x-conveyor-attempt'])).toEqual(['1', '2']);
    expect(hooks[1].body).toBe(hooks[0].body);
    expect(verifyByHand(user.webhookSecret, hooks[1])).toBe(true);
    expect(verifyWithLibrary(user.webhookSecret, hooks[1])).toMatchObject({ jobId: job.id, status: 'DONE' });
    expect(await (await deliveries.getJob(failed.deliveryId))?.getState()).toBe('completed');
  });
});
