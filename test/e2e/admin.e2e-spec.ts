import { createServer, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Response } from 'supertest';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { bearer, makeUser, TestUser } from '@app/testing/factories';
import { JobBody, jobLogs, submitJob, waitForJob } from '@app/testing/jobs';
import { TEST_ADMIN } from '../test-env';

/**
 * The admin surface on the real app with in-process workers: /api/admin/* (listing across users, global
 * stats, dead-letter replay) and bull-board at /admin/queues. Suites share the database, so every
 * assertion about "all users" is bounded by this suite's users or by the time window of its own jobs, and
 * every replay names one of this suite's users (a replay of everyone's jobs would run other suites' jobs).
 */
describe('Admin (e2e)', () => {
  let t: TestApp;
  let adminToken: string;
  let adminKey: string;
  let alice: TestUser;
  let bob: TestUser;
  /** The window in which this suite's first jobs were created. */
  let since: string;
  let until: string;
  let aliceDone: JobBody;
  let aliceFailed: JobBody[];
  let bobDone: JobBody;
  let bobFailed: JobBody;

  const REPLAY_LINE = `Replayed by admin ${TEST_ADMIN.email}`;
  const sleep = (payload: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'sleep',
    payload,
    ...extra,
  });
  const asAdmin = {
    get: (path: string) => t.http().get(path).set(bearer(adminToken)),
    post: (path: string, body: object) => t.http().post(path).set(bearer(adminToken)).send(body),
  };
  const adminJobs = async (query: Record<string, string | number>) => {
    const res = await asAdmin.get('/api/admin/jobs').query(query).expect(200);
    return res.body as { data: JobBody[]; meta: { total: number; hasNextPage: boolean } };
  };
  const idsOf = (jobs: { id: string }[]) => jobs.map((job) => job.id).sort();
  const messages = async (job: { id: string }, owner: TestUser) =>
    (await jobLogs(t, owner.apiKey, job.id)).map((line) => line.message);
  /** Every pattern matches a line, each after the previous one's line. */
  const expectInOrder = (lines: string[], patterns: (string | RegExp)[]) => {
    let from = 0;
    for (const pattern of patterns) {
      const i = lines.findIndex(
        (line, index) =>
          index >= from && (typeof pattern === 'string' ? line === pattern : pattern.test(line)),
      );
      if (i < 0) throw new Error(`no line after #${from} matches ${String(pattern)} in\n${lines.join('\n')}`);
      from = i + 1;
    }
  };
  const expectError = (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ success: false, code, requestId: expect.any(String) });
  };

  beforeAll(async () => {
    t = await createTestApp({ PROCESS_ROLE: 'all' });
    const login = await t.http().post('/api/auth/login').send(TEST_ADMIN).expect(200);
    adminToken = login.body.data.accessToken;
    const key = await t.http().post('/api/auth/api-keys').set(bearer(adminToken)).send({ name: 'admin e2e' });
    adminKey = key.body.data.key;
    [alice, bob] = [await makeUser(t), await makeUser(t)];

    since = new Date(Date.now() - 1000).toISOString();
    aliceDone = await submitJob(t, alice.apiKey, sleep({ delayMs: 10 }));
    aliceFailed = [
      await submitJob(t, alice.apiKey, sleep({ delayMs: 10, failTimes: 1 }, { maxRetries: 0 })),
      await submitJob(t, alice.apiKey, sleep({ delayMs: 10, failTimes: 1 }, { maxRetries: 0 })),
    ];
    bobDone = await submitJob(t, bob.apiKey, { type: 'data-processing', payload: { numbers: [1, 2, 3] } });
    bobFailed = await submitJob(t, bob.apiKey, sleep({ delayMs: 10, forceFail: true }, { maxRetries: 0 }));
    until = new Date(Date.now() + 1000).toISOString();

    await waitForJob(t, alice.apiKey, aliceDone.id);
    aliceFailed = [
      await waitForJob(t, alice.apiKey, aliceFailed[0].id),
      await waitForJob(t, alice.apiKey, aliceFailed[1].id),
    ];
    for (const job of [bobDone, bobFailed]) await waitForJob(t, bob.apiKey, job.id);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('access', () => {
    const routes: [string, string][] = [
      ['get', '/api/admin/jobs'],
      ['get', '/api/admin/stats'],
      ['post', '/api/admin/jobs/replay'],
    ];
    const call = (method: string, path: string) =>
      method === 'get' ? t.http().get(path) : t.http().post(path).send({ dryRun: true });

    it.each(routes)(
      '%s %s: 401 without credentials, 403 for a user, 200 for the admin',
      async (method, path) => {
        expectError(await call(method, path), 401, 'UNAUTHORIZED');
        expectError(await call(method, path).set('X-API-Key', alice.apiKey), 403, 'FORBIDDEN');
        expectError(await call(method, path).set(bearer(alice.accessToken)), 403, 'FORBIDDEN');
        expect((await call(method, path).set(bearer(adminToken))).status).toBe(200);
        expect((await call(method, path).set('X-API-Key', adminKey)).status).toBe(200);
      },
    );
  });

  describe('GET /api/admin/jobs', () => {
    it("lists every user's jobs, newest first", async () => {
      const seen: JobBody[] = [];
      for (let page = 1; ; page++) {
        const { data, meta } = await adminJobs({ from: since, to: until, limit: 100, page });
        seen.push(...data);
        if (!meta.hasNextPage) break;
      }
      const ids = seen.map((job) => job.id);
      for (const job of [aliceDone, ...aliceFailed, bobDone, bobFailed]) expect(ids).toContain(job.id);
      const created = seen.map((job) => Date.parse(job.createdAt as string));
      expect(created).toEqual([...created].sort((a, b) => b - a));
      expect(seen.find((job) => job.id === bobDone.id)).toMatchObject({
        userId: bob.id,
        type: 'data-processing',
        status: 'DONE',
        result: { count: 3, sum: 6 },
      });
    });

    it('filters by userId, type and status', async () => {
      const mine = await adminJobs({ userId: alice.id });
      expect(idsOf(mine.data)).toEqual(idsOf([aliceDone, ...aliceFailed]));
      expect(mine.meta.total).toBe(3);
      expect(mine.data.every((job) => job.userId === alice.id)).toBe(true);

      expect(idsOf((await adminJobs({ userId: bob.id, type: 'data-processing' })).data)).toEqual([
        bobDone.id,
      ]);
      expect(idsOf((await adminJobs({ userId: alice.id, status: 'FAILED' })).data)).toEqual(
        idsOf(aliceFailed),
      );
      expect(
        (await adminJobs({ userId: alice.id, status: 'DONE', type: 'data-processing' })).meta.total,
      ).toBe(0);
    });

    it('finds a case-insensitive substring of the error text (q), across users', async () => {
      expect(idsOf((await adminJobs({ userId: alice.id, q: 'OF FAILTIMES' })).data)).toEqual(
        idsOf(aliceFailed),
      );
      expect(idsOf((await adminJobs({ userId: bob.id, q: 'forcefail' })).data)).toEqual([bobFailed.id]);
      expect((await adminJobs({ userId: bob.id, q: 'failTimes' })).meta.total).toBe(0);

      const everyone = await adminJobs({
        q: 'simulated failure (attempt 1',
        from: since,
        to: until,
        limit: 100,
      });
      const ids = everyone.data.map((job) => job.id);
      for (const job of [...aliceFailed, bobFailed]) expect(ids).toContain(job.id);
      expect(everyone.data.every((job) => /simulated failure \(attempt 1/i.test(job.error ?? ''))).toBe(true);
    });

    it('takes % and _ in q literally', async () => {
      expect((await adminJobs({ userId: alice.id, q: '%' })).meta.total).toBe(0);
      expect((await adminJobs({ userId: alice.id, q: '_' })).meta.total).toBe(0);
      expect((await adminJobs({ userId: alice.id, q: 'Simulated%failure' })).meta.total).toBe(0);
    });

    it('answers 400 for a bad filter', async () => {
      for (const [query, field] of [
        [{ userId: 'not-a-uuid' }, 'userId'],
        [{ status: 'LOST' }, 'status'],
        [{ limit: 101 }, 'limit'],
        [{ from: 'yesterday' }, 'from'],
        [{ q: 'x'.repeat(201) }, 'q'],
        [{ owner: alice.id }, 'owner'],
      ] as const) {
        const res = await asAdmin.get('/api/admin/jobs').query(query);
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(Object.keys(res.body.errors as object)).toContain(field);
      }
    });
  });

  describe('GET /api/admin/stats', () => {
    it("gives everyone's job stats and the user counts", async () => {
      const { data } = (await asAdmin.get('/api/admin/stats').expect(200)).body;
      expect(data.counts.FAILED).toBeGreaterThanOrEqual(3);
      expect(data.counts.DONE).toBeGreaterThanOrEqual(2);
      expect(data.last7Days).toHaveLength(7);
      expect(data.queue).toEqual({
        waiting: expect.any(Number),
        active: expect.any(Number),
        delayed: expect.any(Number),
        prioritized: expect.any(Number),
      });
      expect(data.users.total).toBeGreaterThanOrEqual(3);
      expect(data.users.admins).toBeGreaterThanOrEqual(1);
      expect(Object.keys(data).sort()).toEqual(
        [
          'counts',
          'last7Days',
          'queue',
          'storage',
          'successRate',
          'uptimeSeconds',
          'users',
          'workers',
        ].sort(),
      );
    });
  });

  describe('POST /api/admin/jobs/replay', () => {
    const replay = (body: object) => asAdmin.post('/api/admin/jobs/replay', body);

    it('answers 400 for a bad filter or option', async () => {
      for (const [body, field] of [
        [{ status: 'DONE' }, 'status'],
        [{ limit: 0 }, 'limit'],
        [{ limit: 1001 }, 'limit'],
        [{ limit: '5' }, 'limit'],
        [{ dryRun: 'yes' }, 'dryRun'],
        [{ dryRun: null }, 'dryRun'],
        [{ userId: 'nobody' }, 'userId'],
        [{ to: 'soon' }, 'to'],
        [{ everything: true }, 'everything'],
      ] as const) {
        const res = await replay(body);
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(Object.keys(res.body.errors as object)).toContain(field);
      }
    });

    it('counts the matching FAILED jobs on a dry run, changing nothing', async () => {
      const res = await replay({ type: 'sleep', userId: alice.id, dryRun: true }).expect(200);
      expect(res.body).toMatchObject({ success: true, data: { matched: 2, replayed: 0, dryRun: true } });
      expect(res.body.data).not.toHaveProperty('jobIds');

      const across = await replay({ type: 'sleep', from: since, to: until, dryRun: true }).expect(200);
      expect(across.body.data.matched).toBeGreaterThanOrEqual(3); // alice's two and bob's one
      expect(
        (await replay({ type: 'sleep', userId: bob.id, status: 'CANCELLED', dryRun: true })).body.data,
      ).toEqual({ matched: 0, replayed: 0, dryRun: true });

      for (const job of aliceFailed) {
        const now = (await t.http().get(`/api/jobs/${job.id}`).set('X-API-Key', alice.apiKey)).body.data;
        expect(now).toEqual(job); // as it was when it failed
        expect(await messages(job, alice)).not.toContain(REPLAY_LINE);
      }
    });

    it('brings them back to DONE with attempts reset, the admin named in each log', async () => {
      const res = await replay({ type: 'sleep', userId: alice.id }).expect(200);
      // Oldest first.
      expect(res.body.data).toEqual({
        matched: 2,
        replayed: 2,
        dryRun: false,
        jobIds: aliceFailed.map((job) => job.id),
      });

      for (const job of aliceFailed) {
        // failTimes 1: the job's first attempt (in its life) failed; the replay is attempt 1 again, the job's
        // second in all, and succeeds.
        const done = await waitForJob(t, alice.apiKey, job.id);
        expect(done).toMatchObject({ status: 'DONE', attempts: 1, error: null, result: { sleptMs: 10 } });
        expectInOrder(await messages(job, alice), [
          'Job failed after 1 attempt(s) (status FAILED)',
          'Job replayed by an admin (attempts reset)',
          REPLAY_LINE,
          'Attempt 1 of 1 started (status PROCESSING)',
          'Attempt 1 of 1 succeeded (status DONE)',
        ]);
      }
    });

    describe('after an outage', () => {
      let server: Server;
      let url: string;
      let down = true;
      const hanging: ServerResponse[] = [];

      beforeAll(async () => {
        server = createServer((req, res) => {
          if (down) hanging.push(res);
          else res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      });
      afterAll(async () => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      });

      it('brings the jobs that failed back to DONE, limit by limit', async () => {
        const call = (order: number) =>
          submitJob(t, bob.apiKey, {
            type: 'http-request',
            payload: { url: `${url}/orders/${order}` },
            maxRetries: 0,
            timeoutMs: 1000,
          });
        const jobs = [await call(1), await call(2)];
        for (const job of jobs) {
          expect(await waitForJob(t, bob.apiKey, job.id)).toMatchObject({
            status: 'FAILED',
            error: 'Job timed out after 1000 ms',
          });
        }
        down = false;

        const filter = { userId: bob.id, type: 'http-request', q: 'TIMED OUT' };
        expect((await replay({ ...filter, dryRun: true }).expect(200)).body.data.matched).toBe(2);

        const first = await replay({ ...filter, limit: 1 }).expect(200);
        expect(first.body.data).toEqual({ matched: 2, replayed: 1, dryRun: false, jobIds: [jobs[0].id] });
        const rest = await replay(filter).expect(200);
        expect(rest.body.data).toEqual({ matched: 1, replayed: 1, dryRun: false, jobIds: [jobs[1].id] });
        expect((await replay(filter).expect(200)).body.data).toEqual({
          matched: 0,
          replayed: 0,
          dryRun: false,
          jobIds: [],
        });

        for (const job of jobs) {
          expect(await waitForJob(t, bob.apiKey, job.id)).toMatchObject({
            status: 'DONE',
            attempts: 1,
            error: null,
            result: { status: 200, body: 'ok' },
          });
          expectInOrder(await messages(job, bob), [
            'Attempt 1 of 1 failed: Job timed out after 1000 ms',
            'Job replayed by an admin (attempts reset)',
            REPLAY_LINE,
            'Attempt 1 of 1 succeeded (status DONE)',
          ]);
        }
      });
    });
  });

  describe('bull-board at /admin/queues', () => {
    const BOARD = '/admin/queues';
    const board = (path = BOARD) => t.http().get(path);

    it('answers 401 without admin credentials, with a Basic challenge', async () => {
      for (const res of [
        await board(),
        await board(`${BOARD}/api/queues`),
        await board().set(bearer('not-a-token')),
        await board().set('X-API-Key', 'ck_not-a-key'),
        await board().auth(TEST_ADMIN.email, 'wrong-password'),
        await board().auth('nobody@example.com', TEST_ADMIN.password),
      ]) {
        expectError(res, 401, 'UNAUTHORIZED');
        expect(res.headers['www-authenticate']).toMatch(/^Basic realm="Conveyor queues"/);
      }
    });

    it('answers 403 to a user who is not an admin', async () => {
      for (const res of [
        await board().set('X-API-Key', alice.apiKey),
        await board().set(bearer(alice.accessToken)),
        await board().auth(alice.email, alice.password),
        await board().auth('anyone', alice.apiKey),
        await board(`${BOARD}/api/queues`).auth(alice.email, alice.password),
      ]) {
        expectError(res, 403, 'FORBIDDEN');
      }
    });

    it("serves the board (HTML, not enveloped) for the admin's token, API key or email and password", async () => {
      for (const res of [
        await board().set(bearer(adminToken)),
        await board().set('X-API-Key', adminKey),
        await board().set(bearer(adminKey)),
        await board().auth(TEST_ADMIN.email, TEST_ADMIN.password),
        await board().auth(TEST_ADMIN.email.toUpperCase(), TEST_ADMIN.password),
        await board().auth('admin', adminKey),
      ]) {
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.text).toContain(`<base href="${BOARD}/"`);
        expect(res.text).toContain('<div id="root">');
      }
    });

    it("serves the page's assets and the queues' API behind the same check, under a CSP the page can live with", async () => {
      const page = await board().auth(TEST_ADMIN.email, TEST_ADMIN.password).expect(200);
      const csp = page.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('upgrade-insecure-requests');
      const apiCsp = (await asAdmin.get('/api/admin/stats')).headers['content-security-policy'];
      expect(apiCsp).toContain('upgrade-insecure-requests');

      const scripts = [...page.text.matchAll(/<script[^>]* src="([^"]+)"/g)].map((m) => m[1]);
      const styles = [...page.text.matchAll(/<link href="(static\/[^"]+)"/g)].map((m) => m[1]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const asset of [...scripts, ...styles]) {
        expect(asset).toMatch(/^static\//); // same origin: allowed by 'self'
        await board(`${BOARD}/${asset}`).expect(401);
        const res = await board(`${BOARD}/${asset}`).auth(TEST_ADMIN.email, TEST_ADMIN.password).expect(200);
        expect(res.headers['content-type']).toMatch(/javascript|css/);
      }

      const api = await board(`${BOARD}/api/queues`).set('X-API-Key', adminKey).expect(200);
      const names = (api.body as { queues: { name: string }[] }).queues.map((queue) => queue.name);
      expect(names.sort()).toEqual(['jobs', 'webhooks']);
    });
  });
});
