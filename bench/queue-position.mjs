// What the live `queue` of GET /api/jobs/:id costs (`npm run build && node bench/queue-position.mjs`): an API
// process (no worker, so nothing moves) on its own database and Redis DB, 10,000 PENDING jobs, then p50/p99
// of sequential GETs of the first and the last of them in line (ahead 0 and 9,999), of GET /position of the
// last, and of GET of a CANCELLED job (queue null: the same cached read without the live part).
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import pg from 'pg';

const ROOT = join(import.meta.dirname, '..');
const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const REDIS = `${process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'}/${process.env.BENCH_REDIS_DB ?? 8}`;
const DATABASE = 'conveyor_bench_position';
const WAITING = Number(process.env.WAITING ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 1000);

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const round = (n) => Math.round(n * 100) / 100;
const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const admin = new pg.Client({ connectionString: `${PG}/postgres` });
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
await admin.query(`CREATE DATABASE ${DATABASE}`);
const redis = new Redis(REDIS);
await redis.flushdb();

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const api = spawn(process.execPath, [join(ROOT, 'dist/src/main.js')], {
  env: {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    PROCESS_ROLE: 'api',
    DATABASE_URL: `${PG}/${DATABASE}`,
    REDIS_URL: REDIS,
    QUEUE_PREFIX: 'bench-position',
    RATE_LIMIT_JOBS_PER_MINUTE: '100000000',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    RECONCILE_INTERVAL_MS: '3600000',
    ADMIN_EMAIL: '',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
try {
  for (let ready = false; !ready; await sleep(100)) {
    ready = (await fetch(`${base}/health/ready`).catch(() => undefined))?.ok ?? false;
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const request = (method, path, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        base + path,
        {
          method,
          agent,
          headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } : headers,
        },
        (res) => {
          const chunks = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  await request('POST', '/api/auth/register', { email: 'position@example.com', password: 'bench-password' });
  const login = await request('POST', '/api/auth/login', { email: 'position@example.com', password: 'bench-password' });
  const auth = { Authorization: `Bearer ${login.body.data.accessToken}` };

  for (let i = 0; i < WAITING; i += 100) {
    const jobs = Array.from({ length: Math.min(100, WAITING - i) }, () => ({ type: 'sleep', payload: { delayMs: 0 } }));
    const res = await request('POST', '/api/jobs/batch', { jobs }, auth);
    if (res.status !== 201) throw new Error(`batch answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  const cancelled = (await request('POST', '/api/jobs', { type: 'sleep', payload: { delayMs: 0 } }, auth)).body.data.id;
  await request('DELETE', `/api/jobs/${cancelled}`, undefined, auth);

  // Rows of one batch share a creation time and are in line by id among themselves: ask the table.
  const db = new pg.Client({ connectionString: `${PG}/${DATABASE}` });
  await db.connect();
  const inLine = async (order) =>
    (await db.query(`SELECT id FROM jobs WHERE status = 'PENDING' ORDER BY created_at ${order}, id ${order} LIMIT 1`)).rows[0].id;
  const head = await inLine('ASC');
  const tail = await inLine('DESC');

  const targets = [
    ['GET /api/jobs/:id, CANCELLED (queue null)', `/api/jobs/${cancelled}`],
    ['GET /api/jobs/:id, PENDING, first in line', `/api/jobs/${head}`],
    [`GET /api/jobs/:id, PENDING, last in line`, `/api/jobs/${tail}`],
    ['GET /api/jobs/:id/position, last in line', `/api/jobs/${tail}/position`],
  ];
  const measure = async (label) => {
    const latencies = targets.map(() => []);
    for (let i = 0; i < 100; i++) for (const [, path] of targets) await request('GET', path, undefined, auth); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      for (const [i, [, path]] of targets.entries()) {
        const started = performance.now();
        const res = await request('GET', path, undefined, auth);
        latencies[i].push(performance.now() - started);
        if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
      }
    }
    console.log(`\n${label} (${WAITING} PENDING jobs, ${ROUNDS} sequential requests each)\n`);
    console.log('| request | ahead | p50 ms | p99 ms |\n|---|---|---|---|');
    for (const [i, [name, path]] of targets.entries()) {
      const res = await request('GET', path, undefined, auth);
      const ahead = path.endsWith('/position') ? res.body.data?.ahead : res.body.data.queue?.ahead;
      console.log(`| ${name} | ${ahead ?? '–'} | ${round(percentile(latencies[i], 50))} | ${round(percentile(latencies[i], 99))} |`);
    }
  };
  await measure('Before ANALYZE (autovacuum is off on this machine)');
  await db.query('VACUUM ANALYZE jobs');
  await measure('After VACUUM ANALYZE');
  await db.end();
} finally {
  api.kill('SIGTERM');
  await new Promise((resolve) => api.once('exit', resolve));
  await redis.quit();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.end();
}
