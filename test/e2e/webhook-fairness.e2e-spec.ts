import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { pollUntil } from '@app/testing/eventually';
import { makeUser, TestUser } from '@app/testing/factories';
import { jobLogs, submitJob, waitForJob } from '@app/testing/jobs';
import { ReceivedHook, WebhookReceiver, webhookLogs } from '@app/testing/webhook-receiver';

/**
 * Fair webhook delivery on the real app (PROCESS_ROLE=all: the BullMQ workers in this process) and a real
 * receiver. User A's ten webhooks go to paths that never answer (a dead receiver; the sender gives up after
 * WEBHOOK_TIMEOUT_MS = 10 s); user B's deliveries must not wait for them. The three cases run in order on the
 * same hanging backlog of A's: B's delivery, B's retries, then the hang ends and A's deliveries all go out.
 */
describe('Fair webhook delivery (e2e)', () => {
  const WEBHOOK_CONCURRENCY = 10;
  const USER_CONCURRENCY = 2;
  const A_HOOKS = 10;
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let a: TestUser;
  let b: TestUser;
  const aJobs: string[] = [];
  const aPaths = Array.from({ length: A_HOOKS }, (_, i) => `/a-hangs-${i}`);

  const sleepJob = (path: string) => ({
    type: 'sleep',
    payload: { delayMs: 10 },
    maxRetries: 0,
    webhookUrl: `${receiver.url}${path}`,
  });
  const aHooks = () => receiver.received.filter((hook) => aPaths.includes(hook.path));
  const openAt = (hooks: ReceivedHook[], at: number) =>
    hooks.filter((hook) => hook.receivedAt <= at && (hook.endedAt === undefined || hook.endedAt > at)).length;
  /** The most of `hooks` open at the receiver at once (each open from receipt until answered or given up). */
  const mostOpen = (hooks: ReceivedHook[]) =>
    Math.max(0, ...hooks.map((hook) => openAt(hooks, hook.receivedAt)));

  beforeAll(async () => {
    await receiver.start();
    aPaths.forEach((path) => receiver.hang(path));
    t = await createTestApp({
      PROCESS_ROLE: 'all',
      WEBHOOK_TIMEOUT_MS: '10000',
      WEBHOOK_CONCURRENCY: String(WEBHOOK_CONCURRENCY),
      WEBHOOK_USER_CONCURRENCY: String(USER_CONCURRENCY),
      // Room for a hanging delivery's time-outs while the cases run, and for B's two 500s.
      WEBHOOK_MAX_ATTEMPTS: '5',
    });
    [a, b] = [await makeUser(t), await makeUser(t)];
    for (const path of aPaths) aJobs.push((await submitJob(t, a.apiKey, sleepJob(path))).id);
    for (const id of aJobs) await waitForJob(t, a.apiKey, id);
    // A's deliveries are in flight (the receiver has at least A's share of them, none given up on yet).
    await pollUntil(
      () => Promise.resolve(aHooks()),
      (hooks) => hooks.length >= USER_CONCURRENCY,
      20_000,
      (hooks) => `${hooks.length} of A's deliveries at the receiver`,
    );
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await receiver.close();
  });

  it("delivers B's webhook within 1 s of its job finishing while A's ten receivers hang", async () => {
    const job = await submitJob(t, b.apiKey, sleepJob('/b-one'));
    const [hook] = await receiver.waitFor('/b-one', 1, 20_000);
    const done = await waitForJob(t, b.apiKey, job.id);
    const lag = hook.receivedAt - Date.parse(done.finishedAt!);

    expect(lag).toBeGreaterThanOrEqual(-5); // the receipt follows the finish (same clock, ms rounding)
    expect(lag).toBeLessThan(1000);
    // A's receivers were hanging all along: A had its full share open, and never more.
    expect(openAt(aHooks(), hook.receivedAt)).toBe(USER_CONCURRENCY);
    expect(mostOpen(aHooks())).toBe(USER_CONCURRENCY);
    console.log(`B's delivery ${lag} ms after its job's finishedAt`);
  });

  it("keeps B's retry delays at 2 s, then 4 s, while A's receivers hang", async () => {
    receiver.respond('/b-retry', (previous) => (previous < 2 ? 500 : 200));
    await submitJob(t, b.apiKey, sleepJob('/b-retry'));
    const hooks = await receiver.waitFor('/b-retry', 3, 30_000);
    const [first, second, third] = hooks.map((hook) => hook.receivedAt);

    expect(hooks.map((hook) => hook.headers['x-conveyor-attempt'])).toEqual(['1', '2', '3']);
    // The contract's delays are lower bounds; on top of them each gap holds the attempt's own bookkeeping (its
    // log row, BullMQ's move to delayed and back, the worker's pick-up), well under 1.5 s on a busy machine.
    // A delay lost to A's hanging receivers would be a whole WEBHOOK_TIMEOUT_MS (10 s).
    expect(second - first).toBeGreaterThanOrEqual(2000);
    expect(second - first).toBeLessThan(3500);
    expect(third - second).toBeGreaterThanOrEqual(4000);
    expect(third - second).toBeLessThan(5500);
    expect(openAt(aHooks(), third)).toBeGreaterThan(0);
    console.log(`B's retries ${second - first} ms and ${third - second} ms apart`);
  });

  it("delivers every one of A's held deliveries once the hang ends, numbering attempts from 1", async () => {
    // Past the first time-outs (10 s): the two given up on freed A's slots for two held ones, which hang too,
    // while the two retries (due 2 s later) find A at its cap and are held in their turn.
    const before = await pollUntil(
      () => Promise.resolve(aHooks()),
      (hooks) => hooks.length >= 2 * USER_CONCURRENCY && openAt(hooks, Date.now()) === USER_CONCURRENCY,
      30_000,
      (hooks) => `${hooks.length} A receipts, ${openAt(hooks, Date.now())} open`,
    );
    const givenUp = before.filter((hook) => hook.endedAt !== undefined);
    expect(givenUp.length).toBeGreaterThanOrEqual(USER_CONCURRENCY);
    for (const hook of givenUp) expect(hook.endedAt! - hook.receivedAt).toBeGreaterThanOrEqual(9_900);
    const released = Date.now();
    receiver.release();
    // Held deliveries are woken as slots free, not after the 60 s recheck.
    await pollUntil(
      () => Promise.all(aPaths.map((path) => Promise.resolve(receiver.on(path).length))),
      (counts) => counts.every((count) => count > 0),
      20_000,
      (counts) => `receipts per A path: ${counts.join(', ')}`,
    );
    const logs = await pollUntil(
      () => Promise.all(aJobs.map((id) => webhookLogs(t, a.apiKey, id))),
      (all) => all.every((rows) => rows.some((row) => row.success)),
      20_000,
      (all) => `${all.filter((rows) => rows.some((row) => row.success)).length} of ${A_HOOKS} delivered`,
    );
    const deliveredAt = Math.max(...aHooks().map((hook) => hook.receivedAt));

    for (const [i, rows] of logs.entries()) {
      const attempts = rows.map((row) => row.attempt).sort((x, y) => x - y);
      // A held turn is not an attempt: every delivery's attempts run 1, 2, … with the success last.
      expect(attempts).toEqual(attempts.map((_, n) => n + 1));
      expect(rows.filter((row) => row.success)).toHaveLength(1);
      expect(rows.find((row) => row.success)!.attempt).toBe(attempts.length);
      // The receiver saw the same numbers, and the job's log names only attempts that were made.
      const seen = receiver.on(aPaths[i]).map((hook) => Number(hook.headers['x-conveyor-attempt']));
      expect(seen).toEqual(attempts);
      const failedLines = (await jobLogs(t, a.apiKey, aJobs[i]))
        .map((line) => line.message)
        .filter((message) => / attempt \d+: failed/.test(message));
      expect(failedLines).toHaveLength(attempts.length - 1);
    }
    // Most were held the whole time and went out in one attempt.
    expect(logs.filter((rows) => rows.length === 1).length).toBeGreaterThanOrEqual(
      A_HOOKS - 2 * USER_CONCURRENCY,
    );
    expect(mostOpen(aHooks())).toBeLessThanOrEqual(USER_CONCURRENCY);
    console.log(`A's ${A_HOOKS} deliveries all out ${deliveredAt - released} ms after the hang ended`);
  });

  it("wakes a user's held retry as soon as one of that user's own deliveries ends", async () => {
    const c = await makeUser(t);
    receiver.respond('/c-retry', (previous) => (previous < 2 ? 500 : 200));
    await submitJob(t, c.apiKey, sleepJob('/c-retry'));
    await receiver.waitFor('/c-retry', 2, 20_000);
    // Its last retry is due in 4 s: by then C's two other receivers hang and hold both of C's slots.
    const hangs = ['/c-hangs-0', '/c-hangs-1'];
    hangs.forEach((path) => receiver.hang(path));
    for (const path of hangs) await submitJob(t, c.apiKey, sleepJob(path));
    await Promise.all(hangs.map((path) => receiver.waitFor(path, 1, 20_000)));
    const [, second, third] = await receiver.waitFor('/c-retry', 3, 30_000);
    const freed = Math.min(...hangs.map((path) => receiver.on(path)[0].endedAt ?? Infinity));
    receiver.release();

    expect(third.headers['x-conveyor-attempt']).toBe('3');
    // Held past its backoff while C was at its cap, then sent right after C's first hang was given up on (10 s),
    // not at the held entry's 60 s recheck.
    expect(third.receivedAt - second.receivedAt).toBeGreaterThan(4000 + 1000);
    expect(third.receivedAt).toBeGreaterThanOrEqual(freed);
    expect(third.receivedAt - freed).toBeLessThan(1000);
    console.log(`C's held retry sent ${third.receivedAt - freed} ms after C's slot freed`);
  });
});
