import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import type { TestApp } from '@app/testing/create-test-app';
import { eventually } from '@app/testing/eventually';
import { spawnApp, SpawnedApp } from '@app/testing/spawn-app';
import { TEST_ENV } from '../test-env';

/**
 * Shared pieces of the chaos suite (`npm run test:chaos`): throwaway servers it may break, worker processes
 * (the built dist, as real children) and a PostgreSQL observer that does not go through the app.
 */

export { startRedis, stopRedis } from '@app/testing/throwaway-redis';

export interface Worker extends SpawnedApp {
  /** Resolves once the process has exited and all its output has been read (unlike `exited`). */
  closed: Promise<void>;
}

/**
 * A worker process (PROCESS_ROLE=worker) on the in-process API's queues (call createTestApp first: it picks
 * the QUEUE_PREFIX). Short lock and stalled interval so a dead worker's jobs are noticed in seconds, no
 * metrics port (several workers may overlap), and no background reconciler unless `extra` asks for one.
 */
export async function startWorker(extra: Record<string, string> = {}): Promise<Worker> {
  const prefix = process.env.QUEUE_PREFIX;
  if (!prefix?.startsWith('conveyor-test-')) throw new Error('startWorker before createTestApp');
  const spawned = spawnApp({
    PROCESS_ROLE: 'worker',
    LOG_LEVEL: 'info',
    QUEUE_PREFIX: prefix,
    METRICS_PORT: '0',
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    RECONCILE_INTERVAL_MS: '3600000',
    ...extra,
  });
  const worker = {
    ...spawned,
    closed: new Promise<void>((resolve) => spawned.child.once('close', () => resolve())),
  };
  try {
    await worker.waitForOutput(/Running jobs with concurrency/);
  } catch (error) {
    await spawned.stop('SIGKILL');
    throw error;
  }
  return worker;
}

/** The worker process survived whatever the test broke (it reconnects rather than dying). */
export function expectAlive(worker: SpawnedApp) {
  const { exitCode, signalCode } = worker.child;
  if (exitCode !== null || signalCode !== null) {
    throw new Error(
      `the worker exited (code ${exitCode}, signal ${signalCode}):\n${worker.stderr().slice(-4000)}`,
    );
  }
}

/** A PostgreSQL session of the test's own on the test database (never one of the app's pool). */
export async function observer(): Promise<Client> {
  const client = new Client({ connectionString: TEST_ENV.DATABASE_URL, application_name: 'chaos-observer' });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export interface JobRow {
  id: string;
  status: string;
  attempts: number;
}

/** The rows of the given jobs (or of every job of `userId`), straight from PostgreSQL. */
export async function jobRows(db: Client, by: { ids: string[] } | { userId: string }): Promise<JobRow[]> {
  const { rows } =
    'ids' in by
      ? await db.query<JobRow>(`SELECT id, status, attempts FROM jobs WHERE id = ANY($1::uuid[])`, [by.ids])
      : await db.query<JobRow>(`SELECT id, status, attempts FROM jobs WHERE user_id = $1`, [by.userId]);
  return rows;
}

export function countStatuses(rows: JobRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
  return counts;
}

/** Per job, how many of its log lines contain each of `needles`. */
export async function logLineCounts(
  db: Client,
  ids: string[],
  needles: Record<string, string>,
): Promise<Map<string, Record<string, number>>> {
  const names = Object.keys(needles);
  const columns = names.map((name, i) => `count(*) FILTER (WHERE message LIKE $${i + 2})::int AS "${name}"`);
  const { rows } = await db.query<Record<string, number> & { job_id: string }>(
    `SELECT job_id, ${columns.join(', ')} FROM job_logs WHERE job_id = ANY($1::uuid[]) GROUP BY job_id`,
    [ids, ...names.map((name) => `%${needles[name]}%`)],
  );
  const counts = new Map<string, Record<string, number>>();
  for (const id of ids) counts.set(id, Object.fromEntries(names.map((name) => [name, 0])));
  for (const { job_id, ...row } of rows) counts.set(job_id, row);
  return counts;
}

/** Submits `jobs` through POST /api/jobs/batch, 100 per request, in order; returns the created ids. */
export async function submitBatches(
  t: TestApp,
  apiKey: string,
  jobs: Record<string, unknown>[],
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < jobs.length; i += 100) {
    const res = await t
      .http()
      .post('/api/jobs/batch')
      .set('X-API-Key', apiKey)
      .send({ jobs: jobs.slice(i, i + 100) });
    if (res.status !== 201) throw new Error(`batch answered ${res.status}: ${JSON.stringify(res.body)}`);
    ids.push(...(res.body.data.jobs as { id: string }[]).map((job) => job.id));
  }
  return ids;
}

/** Polls PostgreSQL until every one of `ids` has one of `statuses`; returns the rows. */
export async function waitForStatuses(
  db: Client,
  ids: string[],
  statuses: string[] = ['DONE'],
  timeoutMs = 60_000,
): Promise<JobRow[]> {
  let last: Record<string, number> = {};
  try {
    return await eventually(async () => {
      const rows = await jobRows(db, { ids });
      last = countStatuses(rows);
      const settled = rows.filter((row) => statuses.includes(row.status)).length;
      if (rows.length !== ids.length || settled !== ids.length) throw new Error('not yet');
      return rows;
    }, timeoutMs);
  } catch {
    throw new Error(
      `${ids.length} job(s) did not all reach ${statuses.join('/')} in ${timeoutMs} ms: ${JSON.stringify(last)}`,
    );
  }
}

/** eventually() for a synchronous check (of what the test itself records). */
export const until = (check: () => void, timeoutMs?: number) =>
  eventually(() => Promise.resolve().then(check), timeoutMs);

/** `promise`, or a rejection naming `what` once `timeoutMs` has passed. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ReceivedDelivery {
  jobId: string;
  webhookId: string;
  attempt: number;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A webhook receiver that can go down and come back on the same port: while down, connections are refused
 * (and open ones cut). It answers 200 to every POST it gets and records it.
 */
export class FlakyReceiver {
  readonly received: ReceivedDelivery[] = [];
  private server?: Server;
  port = 0;

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({
          jobId: (JSON.parse(body) as { jobId: string }).jobId,
          webhookId: String(req.headers['webhook-id']),
          attempt: Number(req.headers['x-conveyor-attempt']),
          headers: req.headers,
          body,
          at: Date.now(),
        });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
