import { Client } from 'pg';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { bearer, makeUser, TestUser } from '@app/testing/factories';
import { pollUntil } from '@app/testing/eventually';
import { spawnApp, SpawnedApp } from '@app/testing/spawn-app';
import { TEST_ADMIN, TEST_ENV } from '../test-env';

/**
 * Fair sharing with real worker processes: the API in this process (PROCESS_ROLE=api), two workers as child
 * processes (WORKER_CONCURRENCY=4 each) on the same queue. Each scenario pauses the queue (the admin route),
 * submits every backlog, then resumes, so no worker races ahead of the submissions; the order of starts is
 * read from PostgreSQL (jobs.started_at).
 */
describe('Fair sharing (e2e)', () => {
  let t: TestApp;
  let adminToken: string;
  let db: Client;
  const workers: SpawnedApp[] = [];
  const shares: Record<string, unknown> = {};

  const asAdmin = {
    patch: (path: string, body: object) => t.http().patch(path).set(bearer(adminToken)).send(body),
    post: (path: string) => t.http().post(path).set(bearer(adminToken)).send({}),
  };
  const pause = async () =>
    expect((await asAdmin.post('/api/admin/queue/pause').expect(200)).body.data).toEqual({ paused: true });
  const resume = async () =>
    expect((await asAdmin.post('/api/admin/queue/resume').expect(200)).body.data).toEqual({ paused: false });

  const sleepJobs = (n: number, delayMs: number, priority = 'normal') =>
    Array.from({ length: n }, () => ({ type: 'sleep', payload: { delayMs }, priority, maxRetries: 0 }));
  /** In batches of 100 (the batch limit), in order. */
  async function submit(user: TestUser, jobs: object[]): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < jobs.length; i += 100) {
      const res = await t
        .http()
        .post('/api/jobs/batch')
        .set('X-API-Key', user.apiKey)
        .send({ jobs: jobs.slice(i, i + 100) });
      if (res.status !== 201) throw new Error(`batch answered ${res.status}: ${JSON.stringify(res.body)}`);
      ids.push(...(res.body.data.jobs as { id: string }[]).map((job) => job.id));
    }
    return ids;
  }
  interface Run {
    id: string;
    userId: string;
    priority: string;
    status: string;
    attempts: number;
    startedAt: number;
    finishedAt: number;
  }
  const runs = async (users: TestUser[]): Promise<Run[]> =>
    (
      await db.query(
        `SELECT id, user_id, priority, status, attempts, started_at, finished_at FROM jobs
          WHERE user_id = ANY($1) ORDER BY started_at, id`,
        [users.map((u) => u.id)],
      )
    ).rows.map((r: Record<string, unknown>) => ({
      id: r.id as string,
      userId: r.user_id as string,
      priority: r.priority as string,
      status: r.status as string,
      attempts: r.attempts as number,
      startedAt: r.started_at ? (r.started_at as Date).getTime() : NaN,
      finishedAt: r.finished_at ? (r.finished_at as Date).getTime() : NaN,
    }));
  const allDone = (users: TestUser[], count: number, timeoutMs = 240_000) =>
    pollUntil(
      () => runs(users),
      (all) => all.length === count && all.every((run) => run.status === 'DONE'),
      timeoutMs,
      (all) => `${all.filter((run) => run.status === 'DONE').length} of ${count} DONE`,
    );
  /** Each user's share of the starts in consecutive windows of `size` starts, over the first `total`. */
  const windowShares = (started: Run[], users: TestUser[], size: number, total: number) => {
    const windows: number[][] = [];
    for (let from = 0; from + size <= total; from += size) {
      const window = started.slice(from, from + size);
      windows.push(users.map((u) => window.filter((run) => run.userId === u.id).length / size));
    }
    return windows;
  };
  /** Most of one user's jobs PROCESSING at one moment: finishes count before starts at the same instant. */
  const maxOverlap = (intervals: Run[]) => {
    const points = intervals.flatMap((run) => [
      { at: run.startedAt, delta: 1 },
      { at: run.finishedAt, delta: -1 },
    ]);
    points.sort((a, b) => a.at - b.at || a.delta - b.delta);
    let now = 0;
    let max = 0;
    for (const { delta } of points) max = Math.max(max, (now += delta));
    return max;
  };
  const users = (n: number) => Promise.all(Array.from({ length: n }, () => makeUser(t)));

  beforeAll(async () => {
    t = await createTestApp({ PROCESS_ROLE: 'api' });
    const login = await t.http().post('/api/auth/login').send(TEST_ADMIN).expect(200);
    adminToken = login.body.data.accessToken;
    db = new Client({ connectionString: TEST_ENV.DATABASE_URL });
    await db.connect();
    for (let i = 0; i < 2; i++)
      workers.push(
        spawnApp({
          PROCESS_ROLE: 'worker',
          LOG_LEVEL: 'info',
          WORKER_CONCURRENCY: '4',
          QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
        }),
      );
    await Promise.all(workers.map((w) => w.waitForOutput(/Running jobs with concurrency 4/, 90_000)));
  }, 120_000);
  afterAll(async () => {
    // The measured shares, for the README's table and the report.
    console.log(`fair-sharing shares: ${JSON.stringify(shares, null, 1)}`);
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    await db?.end();
    await t?.close();
  }, 60_000);

  describe('admin settings', () => {
    it('sets weight and maxConcurrency, answers the user, and refuses bad values by field', async () => {
      const [user] = await users(1);
      const res = await asAdmin.patch(`/api/admin/users/${user.id}`, { weight: 3, maxConcurrency: 2 });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({
        id: user.id,
        email: user.email,
        role: 'user',
        weight: 3,
        maxConcurrency: 2,
      });
      const cleared = await asAdmin.patch(`/api/admin/users/${user.id}`, { maxConcurrency: null });
      expect(cleared.body.data).toMatchObject({ weight: 3, maxConcurrency: null });

      for (const [body, field] of [
        [{ weight: 0 }, 'weight'],
        [{ weight: 11 }, 'weight'],
        [{ weight: 1.5 }, 'weight'],
        [{ weight: null }, 'weight'],
        [{ maxConcurrency: 0 }, 'maxConcurrency'],
        [{ maxConcurrency: 'x' }, 'maxConcurrency'],
      ] as const) {
        const bad = await asAdmin.patch(`/api/admin/users/${user.id}`, body);
        expect(bad.status).toBe(400);
        expect(bad.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
        expect(Object.keys(bad.body.errors as object)).toEqual([field]);
      }
      // Nothing half-written by the refused ones.
      const after = await db.query('SELECT weight, max_concurrency FROM users WHERE id = $1', [user.id]);
      expect(after.rows[0]).toEqual({ weight: 3, max_concurrency: null });

      await asAdmin.patch('/api/admin/users/00000000-0000-4000-8000-000000000000', { weight: 2 }).expect(404);
      await asAdmin.patch('/api/admin/users/not-a-uuid', { weight: 2 }).expect(404);
      await t
        .http()
        .patch(`/api/admin/users/${user.id}`)
        .set('X-API-Key', user.apiKey)
        .send({ weight: 10 })
        .expect(403);
      await t.http().post('/api/admin/queue/pause').set('X-API-Key', user.apiKey).expect(403);
    });
  });

  it('a newcomer does not wait behind a backlog: all 20 of B start before A’s 200th (2,000 queued first)', async () => {
    const [a, b] = await users(2);
    await pause();
    const aIds = await submit(a, sleepJobs(2000, 20));
    const bIds = await submit(b, sleepJobs(20, 20));
    expect([aIds.length, bIds.length]).toEqual([2000, 20]);
    // Paused: nothing started while we submitted.
    expect((await runs([a, b])).filter((run) => !Number.isNaN(run.startedAt))).toHaveLength(0);
    await resume();
    const done = await allDone([a, b], 2020);
    const aStarts = done.filter((run) => run.userId === a.id).map((run) => run.startedAt);
    const bStarts = done.filter((run) => run.userId === b.id).map((run) => run.startedAt);
    const lastB = Math.max(...bStarts);
    expect(lastB).toBeLessThan(aStarts[199]);
    shares.newcomer = {
      lastBStartRank: done.findIndex((run) => run.startedAt === lastB) + 1,
      aStartsBeforeLastB: aStarts.filter((at) => at < lastB).length,
    };
  }, 300_000);

  it('three tenants with unequal backlogs each get about a third of every window of 60 starts', async () => {
    const tenants = await users(3);
    await pause();
    for (const [i, tenant] of tenants.entries()) await submit(tenant, sleepJobs(300 - 100 * i, 5));
    await resume();
    const done = await allDone(tenants, 600);
    // While all three have work: the smallest backlog is 100, so the first 300 starts.
    const windows = windowShares(done, tenants, 60, 300);
    shares.threeTenants = windows.map((w) => w.map((s) => Math.round(s * 100) / 100));
    for (const window of windows) for (const share of window) expect(share).toBeGreaterThanOrEqual(0.2);
    for (const window of windows) for (const share of window) expect(share).toBeLessThanOrEqual(0.47);
  }, 300_000);

  it('priorities: high before normal before low within a tenant; an all-high tenant gets at most ~2/3', async () => {
    const [mixed, high, normal] = await users(3);
    await pause();
    await submit(mixed, [...sleepJobs(60, 5, 'normal'), ...sleepJobs(60, 5, 'low')]);
    await submit(mixed, sleepJobs(10, 5, 'high'));
    await submit(high, sleepJobs(150, 5, 'high'));
    await submit(normal, sleepJobs(150, 5, 'normal'));
    await resume();
    const done = await allDone([mixed, high, normal], 430);

    const own = done.filter((run) => run.userId === mixed.id);
    const ranks = (priority: string) => own.flatMap((run, rank) => (run.priority === priority ? [rank] : []));
    // Strict within the tenant: each of its turns goes to its best waiting job. Up to 8 starts are in flight
    // at once (two workers × 4), so a job brought forward may start just after one already on its way.
    const inFlight = 8;
    expect(Math.max(...ranks('high'))).toBeLessThan(10 + inFlight);
    expect(Math.max(...ranks('normal'))).toBeLessThan(70 + inFlight);
    expect(Math.min(...ranks('low'))).toBeGreaterThanOrEqual(70 - inFlight);
    shares.mixedTenantRanks = {
      lastHigh: Math.max(...ranks('high')),
      lastNormal: Math.max(...ranks('normal')),
      firstLow: Math.min(...ranks('low')),
    };

    const contest = done.filter((run) => run.userId !== mixed.id).slice(0, 150);
    const highShare = contest.filter((run) => run.userId === high.id).length / contest.length;
    shares.allHighVsNormal = Math.round(highShare * 100) / 100;
    expect(highShare).toBeGreaterThan(0.5);
    expect(highShare).toBeLessThanOrEqual(0.72);
    // Never starved: the normal tenant's first start comes within its first few turns.
    expect(contest.findIndex((run) => run.userId === normal.id)).toBeLessThan(5);
  }, 300_000);

  it('a cap of 3 holds across two worker processes: at most 3 PROCESSING, exactly, none failed or retried', async () => {
    const [capped, other] = await users(2);
    await asAdmin.patch(`/api/admin/users/${capped.id}`, { maxConcurrency: 3 }).expect(200);
    await pause();
    await submit(capped, sleepJobs(24, 250));
    await submit(other, sleepJobs(24, 250));
    await resume();
    const done = await allDone([capped, other], 48, 120_000);
    const cappedRuns = done.filter((run) => run.userId === capped.id);
    const otherRuns = done.filter((run) => run.userId === other.id);
    expect(maxOverlap(cappedRuns)).toBe(3);
    expect(done.every((run) => run.attempts === 1)).toBe(true);
    // The other tenant used the slots the capped one could not: more than 3 of its jobs at once, meanwhile.
    expect(maxOverlap(otherRuns)).toBeGreaterThan(3);
    const cappedSpan = [cappedRuns[0].startedAt, Math.max(...cappedRuns.map((run) => run.finishedAt))];
    expect(otherRuns.some((run) => run.startedAt > cappedSpan[0] && run.startedAt < cappedSpan[1])).toBe(
      true,
    );
    shares.capOverlap = { capped: maxOverlap(cappedRuns), other: maxOverlap(otherRuns) };
  }, 180_000);

  it('weight 2 against weight 1 gets about 2/3 of the starts', async () => {
    const [heavy, light] = await users(2);
    await asAdmin.patch(`/api/admin/users/${heavy.id}`, { weight: 2 }).expect(200);
    await pause();
    await submit(heavy, sleepJobs(200, 5));
    await submit(light, sleepJobs(200, 5));
    await resume();
    const done = await allDone([heavy, light], 400);
    const first = done.slice(0, 240);
    const share = first.filter((run) => run.userId === heavy.id).length / first.length;
    shares.weight2 = Math.round(share * 100) / 100;
    expect(share).toBeGreaterThan(0.58);
    expect(share).toBeLessThan(0.75);
  }, 300_000);
});
