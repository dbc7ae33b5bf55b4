// Conveyor's benchmark (`npm run bench`, `npm run bench -- --soak`): API and worker as separate processes on
// this machine's PostgreSQL and Redis (own database, own Redis DB), the same workloads on bare BullMQ as the
// baseline, a markdown table with PASS/FAIL per target, and bench/results/<timestamp>.json.
import { fork, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import pg from 'pg';
import { io } from 'socket.io-client';

const ROOT = join(import.meta.dirname, '..');
const SOAK = process.argv.includes('--soak');
// --threads: also measure what the job threads cost per job (a light type on the event loop against csv-export
// in the pool, tiny and heavy); off by default, so the other phases and their numbers are unchanged.
const THREADS = process.argv.includes('--threads');
// --quick: a tenth of the work, to check the bench itself runs (its numbers mean little).
const SCALE = process.argv.includes('--quick') ? 0.1 : 1;
const THREAD_JOBS = 500 * SCALE;
// --fair-only: only the fair-sharing phase (three tenants of unequal backlog); --no-fair-sharing runs the
// service with FAIR_SHARING=false (one first-come-first-served queue), for the comparison in the README.
const FAIR_ONLY = process.argv.includes('--fair-only');
const FAIR_SHARING = !process.argv.includes('--no-fair-sharing');
const FAIR_BACKLOGS = [3000, 1000, 300].map((n) => n * SCALE);
const FAIR_WINDOW = 500 * SCALE;
// --profile=batch|single|rate: sample the CPU of the API and the worker during that phase (bench/cpu-profile.cjs)
// and write their .cpuprofile files to bench/results/ (summarise one with bench/profile-summary.mjs).
const PROFILE = process.argv.find((a) => a.startsWith('--profile='))?.slice('--profile='.length);
const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
// Its own database and Redis DB (flushed at start): away from the tests' (15, and 8-14 for parallel runs).
const REDIS = `${process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'}/${process.env.BENCH_REDIS_DB ?? 7}`;
const DATABASE = process.env.BENCH_DATABASE ?? 'conveyor_bench';
const CONCURRENCY = 16;
const BATCH_JOBS = 20_000 * SCALE;
const SINGLE_JOBS = 5_000 * SCALE;
const SINGLE_CLIENTS = 32;
const RATE = 500;
const RATE_SECONDS = 20 * SCALE;
const SOAK_JOBS = 100_000 * SCALE;

const TARGETS = {
  batchJobsPerSecond: 2000,
  singleJobsPerSecond: 1000,
  submitP99Ms: 10,
  pickupP99Ms: 5,
  realtimeP99Ms: 20,
  soakRssGrowth: 0.1,
};

// ---------------------------------------------------------------------------------------------- helpers
const percentile = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const stats = (values) => ({ n: values.length, p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) });
const round = (n, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);
const rssMb = (pid) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
};
/** CPU seconds (user + system) used so far by the processes whose command line matches. */
const TICKS = 100; // USER_HZ on Linux
const cpuSeconds = (match) => {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!match(pid, readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / TICKS;
};
/** Where the CPU went during a phase: seconds per process group, and per 1,000 jobs. */
const cpuMeter = (groups) => {
  const read = () => Object.fromEntries(Object.entries(groups).map(([name, match]) => [name, cpuSeconds(match)]));
  const before = read();
  return (jobs) => {
    const after = read();
    return Object.fromEntries(Object.keys(groups).map((name) => [name, { seconds: round(after[name] - before[name]), per1000Jobs: round(((after[name] - before[name]) / jobs) * 1000, 3) }]));
  };
};
const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
async function until(check, timeoutMs, what, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
/** Runs `total` tasks with `clients` of them in flight at once. */
async function pool(total, clients, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) await task(next++);
    }),
  );
}
/**
 * Open loop: request i is due at start + i/rate; each latency is measured from its due time, not from when
 * it was sent, so a stall is charged to every request it delays (no coordinated omission).
 */
async function openLoop(rate, seconds, send) {
  const total = rate * seconds;
  const latencies = [];
  let failures = 0; // requests that errored (e.g. connect timeouts when the server falls behind)
  const inFlight = [];
  const start = performance.now() + 50;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    // A timer, not a spin on the last millisecond: spinning took half a core from the two being measured. A
    // late timer only adds its lateness to that request's latency (measured from `due`).
    if (wait > 0) await sleep(Math.ceil(wait)); // a timer rounds a fraction down: never early
    inFlight.push(
      send(i).then(
        () => latencies.push(performance.now() - due),
        () => (failures += 1),
      ),
    );
  }
  await Promise.all(inFlight);
  return Object.assign(latencies, { failures });
}

// ---------------------------------------------------------------------------------------------- set-up
const admin = new pg.Client({ connectionString: `${PG}/postgres` });
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
await admin.query(`CREATE DATABASE ${DATABASE}`);
await admin.end();
const redis = new Redis(REDIS);
await redis.flushdb();

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  NODE_ENV: 'development',
  LOG_LEVEL: 'warn',
  PORT: String(port),
  DATABASE_URL: `${PG}/${DATABASE}`,
  REDIS_URL: REDIS,
  QUEUE_PREFIX: 'bench',
  WORKER_CONCURRENCY: String(CONCURRENCY),
  RATE_LIMIT_JOBS_PER_MINUTE: '100000000',
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  RECONCILE_INTERVAL_MS: '3600000',
  ADMIN_EMAIL: '',
  FAIR_SHARING: String(FAIR_SHARING),
};
const children = [];
const start = (role) => {
  const preload = PROFILE ? ['--require', join(import.meta.dirname, 'cpu-profile.cjs')] : [];
  const child = spawn(process.execPath, [...preload, join(ROOT, 'dist/src/main.js')], { env: { ...env, PROCESS_ROLE: role }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
};
const api = start('api');
await until(async () => (await fetch(`${base}/health/ready`).catch(() => undefined))?.ok, 60_000, 'the API');
const jobsQueue = new Queue('jobs', { connection: { url: REDIS }, prefix: 'bench' });
const worker = start('worker');
await until(async () => (await jobsQueue.getWorkersCount()) > 0, 60_000, 'the worker');

const db = new pg.Client({ connectionString: `${PG}/${DATABASE}` });
await db.connect();
// This machine's PostgreSQL runs with autovacuum off. Without it the tables never get statistics (the planner
// then picks the status index over the primary key and reads every PENDING row per UPDATE) and never lose
// their dead rows. The bench stands in for autovacuum, on its own session: ANALYZE every 5 s, VACUUM every
// 30 s. Their CPU counts in the postgres column, as autovacuum's would.
const maintenance = new pg.Client({ connectionString: `${PG}/${DATABASE}` });
await maintenance.connect();
const autovacuum = (() => {
  let round = 0;
  let running = Promise.resolve();
  const timer = setInterval(() => {
    round += 1;
    running = running.then(() => maintenance.query(round % 6 === 0 ? 'VACUUM (ANALYZE) jobs, job_logs' : 'ANALYZE jobs, job_logs')).catch(() => undefined);
  }, 5000);
  return { stop: async () => (clearInterval(timer), await running, await maintenance.end()) };
})();
// node:http with keep-alive rather than fetch: undici cost the bench process 1.3 ms of CPU per request, CPU
// the two cores then did not have for the service being measured.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const post = (path, body, headers = {}) =>
  new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request(base + path, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode, json: async () => JSON.parse(text), arrayBuffer: async () => undefined });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
await post('/api/auth/register', { email: 'bench@example.com', password: 'bench-password' });
const login = await (await post('/api/auth/login', { email: 'bench@example.com', password: 'bench-password' })).json();
const auth = { Authorization: `Bearer ${login.data.accessToken}` };
const sleepJob = { type: 'sleep', payload: { delayMs: 0 } };
const doneCount = async () => Number((await db.query(`SELECT count(*) FROM jobs WHERE status = 'DONE'`)).rows[0].count);
/**
 * Waits until the queue has nothing left to run (cheap, in Redis; a worker finishes a queue entry only after
 * its row is DONE), then checks PostgreSQL: `expected` rows DONE. Polling PostgreSQL itself every 20 ms was a
 * scan of every DONE row each time, and the largest share of the database's CPU in the first measurements.
 */
const queueEmpty = async () =>
  Object.values(await jobsQueue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'paused')).every((n) => n === 0);
async function allDone(expected, what, timeoutMs = 600_000) {
  await until(queueEmpty, timeoutMs, what);
  await until(async () => (await doneCount()) >= expected, 60_000, `${what} (DONE in PostgreSQL)`, 500);
}
const rss = { start: { api: rssMb(api.pid), worker: rssMb(worker.pid) } };
/** Starts a phase: its CPU meter, and the profile when that phase is the one asked for. */
const meter = (phase) => {
  const profiling = PROFILE === phase;
  if (profiling) for (const child of children) child.kill('SIGUSR2');
  const cpu = cpuMeter({
    api: (pid) => Number(pid) === api.pid,
    worker: (pid) => Number(pid) === worker.pid,
    postgres: (_pid, cmd) => cmd.startsWith('postgres'),
    redis: (_pid, cmd) => cmd.startsWith('redis-server'),
    bench: (pid) => Number(pid) === process.pid,
  });
  return async (jobs) => {
    const used = cpu(jobs);
    if (profiling) {
      for (const child of children) child.kill('SIGUSR2');
      await sleep(3000); // the profiles are written from the children's event loops
    }
    return used;
  };
};
const results = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, conveyor: {}, bullmq: {} };

// ---------------------------------------------------------------------------------------------- Conveyor
if (!FAIR_ONLY) {
{
  const cpu = meter('batch');
  const t0 = performance.now();
  await pool(BATCH_JOBS / 100, 4, async () => {
    const res = await post('/api/jobs/batch', { jobs: Array.from({ length: 100 }, () => sleepJob) }, auth);
    if (res.status !== 201) throw new Error(`batch answered ${res.status}`);
  });
  await allDone(BATCH_JOBS, 'batch jobs DONE');
  results.conveyor.batchJobsPerSecond = BATCH_JOBS / ((performance.now() - t0) / 1000);
  results.conveyor.batchCpu = await cpu(BATCH_JOBS);
  console.log(`conveyor batch: ${round(results.conveyor.batchJobsPerSecond, 0)} jobs/s`);
}
{
  const before = await doneCount();
  const cpu = meter('single');
  const t0 = performance.now();
  await pool(SINGLE_JOBS, SINGLE_CLIENTS, async () => {
    const res = await post('/api/jobs', sleepJob, auth);
    if (res.status !== 201) throw new Error(`submit answered ${res.status}`);
    await res.arrayBuffer();
  });
  await allDone(before + SINGLE_JOBS, 'single jobs DONE');
  results.conveyor.singleJobsPerSecond = SINGLE_JOBS / ((performance.now() - t0) / 1000);
  results.conveyor.singleCpu = await cpu(SINGLE_JOBS);
  console.log(`conveyor single: ${round(results.conveyor.singleJobsPerSecond, 0)} jobs/s`);
}
{
  // Realtime: a socket of the bench user hears job:updated for every change; DONE receipt vs finishedAt.
  const socket = io(base, { auth: { token: login.data.accessToken }, transports: ['websocket'] });
  await new Promise((resolve, reject) => socket.once('connected', resolve).once('connect_error', reject));
  const realtime = [];
  socket.on('job:updated', (job) => {
    if (job.status === 'DONE') realtime.push(Date.now() - Date.parse(job.finishedAt));
  });
  const ids = [];
  const cpu = meter('rate');
  const submit = await openLoop(RATE, RATE_SECONDS, async () => {
    const res = await post('/api/jobs', sleepJob, auth);
    if (res.status !== 201) throw new Error(`submit answered ${res.status}`);
    ids.push((await res.json()).data.id);
  });
  const before = ids.length;
  await until(queueEmpty, 120_000, 'rate jobs run');
  await until(async () => Number((await db.query(`SELECT count(*) FROM jobs WHERE id = ANY($1) AND status = 'DONE'`, [ids])).rows[0].count) >= before, 60_000, 'rate jobs DONE', 500);
  results.conveyor.rateCpu = await cpu(before);
  await until(async () => realtime.length >= before, 30_000, 'job:updated events').catch(() => undefined);
  socket.close();
  const pickup = (await db.query(`SELECT extract(epoch FROM started_at - created_at) * 1000 AS ms FROM jobs WHERE id = ANY($1)`, [ids])).rows.map((r) => Number(r.ms));
  Object.assign(results.conveyor, {
    submitMs: { ...stats(submit), failed: submit.failures },
    pickupMs: stats(pickup),
    realtimeMs: stats(realtime),
  });
}
}
rss.end = { api: rssMb(api.pid), worker: rssMb(worker.pid) };

{
  // Fair sharing: three tenants with unequal backlogs. The queue is paused while they submit (tenant1 first,
  // tenant3 last, so first come first served would run tenant1's whole backlog first), then resumed. Each
  // tenant's share of the starts while all three have work, its starts per window of FAIR_WINDOW starts, and
  // its wait from the resume to its start (p50/p99).
  const sleepy = { type: 'sleep', payload: { delayMs: 5 } };
  const tenants = [];
  for (const [i, backlog] of FAIR_BACKLOGS.entries()) {
    const email = `tenant${i + 1}@example.com`;
    await post('/api/auth/register', { email, password: 'bench-password' });
    const session = await (await post('/api/auth/login', { email, password: 'bench-password' })).json();
    tenants.push({ name: `tenant${i + 1}`, backlog, headers: { Authorization: `Bearer ${session.data.accessToken}` } });
  }
  const ids = new Map();
  const before = await doneCount();
  await jobsQueue.pause();
  for (const tenant of tenants) {
    ids.set(tenant.name, []);
    await pool(Math.ceil(tenant.backlog / 100), 4, async (k) => {
      const res = await post('/api/jobs/batch', { jobs: Array.from({ length: Math.min(100, tenant.backlog - k * 100) }, () => sleepy) }, tenant.headers);
      if (res.status !== 201) throw new Error(`batch answered ${res.status}`);
      ids.get(tenant.name).push(...(await res.json()).data.jobs.map((j) => j.id));
    });
  }
  const resumedAt = (await db.query('SELECT now() AS at')).rows[0].at;
  await jobsQueue.resume();
  const total = FAIR_BACKLOGS.reduce((a, b) => a + b, 0);
  await allDone(before + total, 'fair-sharing jobs DONE');
  const owner = new Map([...ids].flatMap(([name, list]) => list.map((id) => [id, name])));
  const rows = (await db.query(`SELECT id, extract(epoch FROM started_at - $2::timestamptz) * 1000 AS wait FROM jobs WHERE id = ANY($1) ORDER BY started_at, id`, [[...owner.keys()], resumedAt])).rows;
  const contested = 3 * Math.min(...FAIR_BACKLOGS);
  const perTenant = Object.fromEntries(
    tenants.map(({ name, backlog }) => {
      const mine = rows.filter((r) => owner.get(r.id) === name);
      return [name, {
        backlog,
        shareWhileAllBusy: round(rows.slice(0, contested).filter((r) => owner.get(r.id) === name).length / contested),
        waitMs: stats(mine.map((r) => Number(r.wait))),
      }];
    }),
  );
  const windows = [];
  for (let from = 0; from < rows.length; from += FAIR_WINDOW) {
    const window = rows.slice(from, from + FAIR_WINDOW);
    windows.push(Object.fromEntries(tenants.map(({ name }) => [name, window.filter((r) => owner.get(r.id) === name).length])));
  }
  results.conveyor.fairSharing = { enabled: FAIR_SHARING, perTenant, windows, window: FAIR_WINDOW };
  console.log(`fair sharing ${FAIR_SHARING ? 'on' : 'off'}: ${tenants.map(({ name }) => `${name} share ${perTenant[name].shareWhileAllBusy}, p99 wait ${round(perTenant[name].waitMs.p99, 0)} ms`).join('; ')}`);
}

if (THREADS) {
  // Per job type: THREAD_JOBS jobs in batches of 10 (a heavy batch stays under the 1 MiB body limit), then the attempt's own time (started → finished) from
  // PostgreSQL and the throughput. A tiny csv-export minus sleep is the pool's cost per job (a thread round
  // trip and the copies of payload and result); the heavy one shows what the work itself costs next to it.
  const wide = Array.from({ length: 200 }, (_, i) => Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`c${k}`, `${i}-${k}`])));
  const kinds = {
    sleep: sleepJob,
    csvTiny: { type: 'csv-export', payload: { data: [{ a: 1, b: 'x' }] } },
    csvHeavy: { type: 'csv-export', payload: { data: wide } },
  };
  results.conveyor.threads = {};
  for (const [name, job] of Object.entries(kinds)) {
    const ids = [];
    const cpu = meter(`threads-${name}`);
    const t0 = performance.now();
    await pool(THREAD_JOBS / 10, 4, async () => {
      const res = await post('/api/jobs/batch', { jobs: Array.from({ length: 10 }, () => job) }, auth);
      if (res.status !== 201) throw new Error(`batch answered ${res.status}`);
      ids.push(...(await res.json()).data.jobs.map((j) => j.id));
    });
    await until(async () => Number((await db.query(`SELECT count(*) FROM jobs WHERE id = ANY($1) AND status = 'DONE'`, [ids])).rows[0].count) >= ids.length, 300_000, `${name} jobs DONE`, 200);
    const seconds = (performance.now() - t0) / 1000;
    const runMs = (await db.query(`SELECT extract(epoch FROM finished_at - started_at) * 1000 AS ms FROM jobs WHERE id = ANY($1)`, [ids])).rows.map((r) => Number(r.ms));
    results.conveyor.threads[name] = { jobsPerSecond: ids.length / seconds, runMs: stats(runMs), cpu: await cpu(ids.length), workerRssMb: rssMb(worker.pid) };
    console.log(`threads ${name}: ${round(ids.length / seconds, 0)} jobs/s, run p50 ${round(percentile(runMs, 50))} ms, p99 ${round(percentile(runMs, 99))} ms`);
  }
}

if (SOAK) {
  const curve = [];
  const sample = setInterval(() => curve.push({ t: Math.round(performance.now() / 1000), api: rssMb(api.pid), worker: rssMb(worker.pid) }), 5000);
  const before = await doneCount();
  await pool(SOAK_JOBS / 100, 4, () => post('/api/jobs/batch', { jobs: Array.from({ length: 100 }, () => sleepJob) }, auth).then((r) => r.arrayBuffer()));
  await allDone(before + SOAK_JOBS, 'soak jobs DONE', 1_800_000);
  clearInterval(sample);
  const warm = curve[Math.floor(curve.length / 4)] ?? curve[0];
  const last = curve.at(-1);
  results.soak = { jobs: SOAK_JOBS, curve, growth: { api: last.api / warm.api - 1, worker: last.worker / warm.worker - 1 } };
}
for (const child of children) child.kill('SIGTERM');
await autovacuum.stop();
await db.end();

// ---------------------------------------------------------------------------------------------- bare BullMQ
if (!FAIR_ONLY) {
  const bare = new Queue('bare', { connection: { url: REDIS }, prefix: 'bench-bare' });
  const child = fork(join(import.meta.dirname, 'baseline-worker.mjs'), [REDIS, 'bare', String(CONCURRENCY)], { stdio: 'inherit' });
  await new Promise((resolve) => child.on('message', (m) => m.ready && resolve()));
  const completed = () => bare.getJobCountByTypes('completed');
  let t0 = performance.now();
  for (let i = 0; i < BATCH_JOBS / 100; i++) await bare.addBulk(Array.from({ length: 100 }, () => ({ name: 'noop', data: {} })));
  await until(async () => (await completed()) >= BATCH_JOBS, 600_000, 'bare batch');
  results.bullmq.batchJobsPerSecond = BATCH_JOBS / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  await pool(SINGLE_JOBS, SINGLE_CLIENTS, () => bare.add('noop', {}));
  await until(async () => (await completed()) >= BATCH_JOBS + SINGLE_JOBS, 600_000, 'bare single');
  results.bullmq.singleJobsPerSecond = SINGLE_JOBS / ((performance.now() - t0) / 1000);
  const ids = [];
  const submit = await openLoop(RATE, RATE_SECONDS, async () => ids.push((await bare.add('noop', {})).id));
  await until(async () => (await completed()) >= BATCH_JOBS + SINGLE_JOBS + ids.length, 120_000, 'bare rate');
  const jobs = await Promise.all(ids.map((id) => bare.getJob(id)));
  const pickup = jobs.filter(Boolean).map((job) => job.processedOn - job.timestamp);
  Object.assign(results.bullmq, { submitMs: stats(submit), pickupMs: stats(pickup) });
  child.kill('SIGTERM');
  await bare.obliterate({ force: true });
  await bare.close();
}
await jobsQueue.close();
await redis.flushdb();
await redis.quit();

// ---------------------------------------------------------------------------------------------- report
const c = results.conveyor;
const b = results.bullmq;
const fair = c.fairSharing;
const fairNames = Object.keys(fair.perTenant);
const fairTable = [
  `Fair sharing ${fair.enabled ? 'on' : 'off'}: three tenants queue backlogs of ${FAIR_BACKLOGS.join(', ')} sleep-5ms jobs (in that order, queue paused), then the queue resumes`,
  '',
  `| tenant | backlog | share of the first ${3 * Math.min(...FAIR_BACKLOGS)} starts | wait after resume p50 / p99 (ms) |`,
  '|---|---|---|---|',
  ...fairNames.map((name) => {
    const t = fair.perTenant[name];
    return `| ${name} | ${t.backlog} | ${t.shareWhileAllBusy} | ${round(t.waitMs.p50, 0)} / ${round(t.waitMs.p99, 0)} |`;
  }),
  '',
  `| starts | ${fair.windows.map((_, i) => `${i * fair.window + 1}–${(i + 1) * fair.window}`).join(' | ')} |`,
  `|---|${fair.windows.map(() => '---').join('|')}|`,
  ...fairNames.map((name) => `| ${name} | ${fair.windows.map((w) => w[name]).join(' | ')} |`),
].join('\n');
if (FAIR_ONLY) {
  console.log(`\n${fairTable}\n`);
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  const file = join(import.meta.dirname, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}-fair.json`);
  writeFileSync(file, JSON.stringify({ ...results, fairTable }, null, 2));
  console.log(`written ${file}`);
  process.exit(0);
}
const ratio = (x, y) => (Number.isFinite(x / y) ? `${round(x / y, 2)}×` : 'n/a');
const check = (ok) => (ok ? 'PASS' : 'FAIL');
const rows = [
  ['batch end-to-end (jobs/s)', round(c.batchJobsPerSecond, 0), round(b.batchJobsPerSecond, 0), ratio(c.batchJobsPerSecond, b.batchJobsPerSecond), `≥ ${TARGETS.batchJobsPerSecond}`, check(c.batchJobsPerSecond >= TARGETS.batchJobsPerSecond)],
  ['single POST end-to-end (jobs/s)', round(c.singleJobsPerSecond, 0), round(b.singleJobsPerSecond, 0), ratio(c.singleJobsPerSecond, b.singleJobsPerSecond), `≥ ${TARGETS.singleJobsPerSecond}`, check(c.singleJobsPerSecond >= TARGETS.singleJobsPerSecond)],
  ['submit p50 / p95 / p99 at 500/s (ms)', `${round(c.submitMs.p50)} / ${round(c.submitMs.p95)} / ${round(c.submitMs.p99)}${c.submitMs.failed ? ` (${c.submitMs.failed} failed)` : ''}`, `${round(b.submitMs.p50)} / ${round(b.submitMs.p95)} / ${round(b.submitMs.p99)}`, ratio(c.submitMs.p99, b.submitMs.p99), `p99 ≤ ${TARGETS.submitP99Ms}`, check(c.submitMs.p99 <= TARGETS.submitP99Ms && !c.submitMs.failed)],
  ['pickup p50 / p99 (ms)', `${round(c.pickupMs.p50)} / ${round(c.pickupMs.p99)}`, `${round(b.pickupMs.p50)} / ${round(b.pickupMs.p99)}`, ratio(c.pickupMs.p99, b.pickupMs.p99), `p99 ≤ ${TARGETS.pickupP99Ms}`, check(c.pickupMs.p99 <= TARGETS.pickupP99Ms)],
  ['realtime DONE → job:updated p50 / p99 (ms)', `${round(c.realtimeMs.p50)} / ${round(c.realtimeMs.p99)}`, '—', '—', `p99 ≤ ${TARGETS.realtimeP99Ms}`, check(c.realtimeMs.p99 <= TARGETS.realtimeP99Ms)],
  ['RSS api start → end (MB)', `${rss.start.api} → ${rss.end.api}`, '—', '—', '', ''],
  ['RSS worker start → end (MB)', `${rss.start.worker} → ${rss.end.worker}`, '—', '—', '', ''],
];
if (results.soak) {
  const { api: ga, worker: gw } = results.soak.growth;
  rows.push([`soak ${SOAK_JOBS} jobs: RSS growth after warm-up (api / worker)`, `${round(ga * 100, 1)} % / ${round(gw * 100, 1)} %`, '—', '—', `≤ ${TARGETS.soakRssGrowth * 100} %`, check(Math.max(ga, gw) <= TARGETS.soakRssGrowth)]);
}
if (c.threads) {
  for (const [name, t] of Object.entries(c.threads)) rows.push([`threads: ${name} jobs/s, run p50 / p99 (ms)`, `${round(t.jobsPerSecond, 0)}, ${round(t.runMs.p50)} / ${round(t.runMs.p99)}`, '—', '—', '', '']);
}
const table = [
  '| measure | Conveyor | bare BullMQ | ratio | target | result |',
  '|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
const phases = [['batch', c.batchCpu], ['single POST', c.singleCpu], ['500/s open loop', c.rateCpu]];
const groups = Object.keys(c.batchCpu);
const cpuTable = [
  `| CPU ms per job | ${groups.join(' | ')} |`,
  `|---|${groups.map(() => '---').join('|')}|`,
  ...phases.map(([name, cpu]) => `| ${name} | ${groups.map((g) => cpu[g].per1000Jobs).join(' | ')} |`),
].join('\n');
console.log(`\nConveyor benchmark — ${results.machine.cpus} CPUs, Node ${results.machine.node}, worker concurrency ${CONCURRENCY}\n\n${table}\n\n${cpuTable}\n\n${fairTable}\n`);
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
const file = join(import.meta.dirname, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ ...results, rss, targets: TARGETS, table, cpuTable, fairTable }, null, 2));
console.log(`written ${file}`);
process.exit(0);
