import { Client } from 'pg';
import { connect } from 'node:net';
import { freePort, spawnApp } from '@app/testing/spawn-app';
import { serverUrls, TEST_ENV } from '../test-env';

type Body = { data: Record<string, string> };

/** The built process, as `npm start` runs it: start-up checks, roles, logs, shutdown. */
describe('Process (e2e)', () => {
  const failsWith = async (env: Record<string, string>, pattern: RegExp) => {
    const app = spawnApp({ ...TEST_ENV, LOG_LEVEL: 'info', ...env });
    const { code } = await app.exited;
    expect(code).toBe(1);
    const lines = app.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
  };

  it('stops on a bad variable with one line naming it', async () => {
    await failsWith({ PORT: 'abc' }, /^conveyor: Invalid configuration: PORT: PORT must be an integer/);
    await failsWith({ PROCESS_ROLE: 'both' }, /PROCESS_ROLE/);
  });

  it('refuses the example JWT secrets in production', async () => {
    await failsWith(
      {
        NODE_ENV: 'production',
        JWT_ACCESS_SECRET: 'change-me-access-secret',
        JWT_REFRESH_SECRET: 'a-real-secret-of-my-own-123',
      },
      /JWT_ACCESS_SECRET: must be set to a secret of your own in production/,
    );
  });

  it('says which backing service is unreachable and how to start it', async () => {
    const port = await freePort();
    await failsWith(
      { REDIS_URL: `redis://127.0.0.1:${port}` },
      /Redis is not reachable at redis:\/\/127\.0\.0\.1:\d+ .*redis-server/,
    );
    await failsWith(
      { DATABASE_URL: `postgres://postgres:secret-pw@127.0.0.1:${port}/conveyor` },
      /PostgreSQL is not reachable at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/conveyor .*pg_ctlcluster/,
    );
  });

  it('creates a missing database and applies the migrations at start', async () => {
    const database = `conveyor_test_fresh_${process.pid}`;
    const port = await freePort();
    const app = spawnApp({
      ...TEST_ENV,
      DATABASE_URL: `${serverUrls.pg}/${database}`,
      DB_MIGRATIONS_RUN: 'true',
      PORT: String(port),
      ADMIN_EMAIL: '',
      LOG_LEVEL: 'info',
    });
    try {
      await app.waitForOutput(/listening on/);
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(ready.status).toBe(200);
      const db = new Client({ connectionString: `${serverUrls.pg}/${database}` });
      await db.connect();
      const { rows } = await db.query(`SELECT name FROM migrations`);
      await db.end();
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await app.stop();
      const admin = new Client({ connectionString: `${serverUrls.pg}/postgres` });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('logs JSON lines with the request id and never a credential, and shuts down on SIGTERM', async () => {
    const port = await freePort();
    const app = spawnApp({ ...TEST_ENV, LOG_LEVEL: 'info', PORT: String(port), PROCESS_ROLE: 'api' });
    await app.waitForOutput(/listening on/);
    const base = `http://127.0.0.1:${port}`;
    const post = (path: string, body: object, headers: Record<string, string> = {}) =>
      fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });

    const email = `logs-${process.pid}@example.com`;
    const password = 'very-secret-password-42';
    const registered = (await (await post('/api/auth/register', { email, password })).json()) as Body;
    const loginResponse = await post('/api/auth/login', { email, password });
    const requestId = loginResponse.headers.get('x-request-id')!;
    const login = (await loginResponse.json()) as Body;
    const keyResponse = await post(
      '/api/auth/api-keys',
      { name: 'k' },
      { 'X-API-Key': registered.data.apiKey },
    );
    const key = (await keyResponse.json()) as Body;
    await fetch(`${base}/api/auth/me`, { headers: { Authorization: `Bearer ${login.data.accessToken}` } });
    await fetch(`${base}/api/auth/me?token=${login.data.accessToken}`, {
      headers: { 'X-API-Key': key.data.key },
    });
    await post('/api/auth/refresh', { refreshToken: login.data.refreshToken });
    await post('/api/auth/register', { email: 'bad', password }); // a rejected body is not logged either
    await app.waitForOutput(/"statusCode":400/);

    const stopped = await app.stop('SIGTERM');
    expect(stopped.code === 0 || stopped.signal === 'SIGTERM').toBe(true);

    const lines = app
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = lines.filter((l) => l.req);
    expect(requests.length).toBeGreaterThanOrEqual(7);
    expect(requests.some((l) => (l.req as { id: string }).id === requestId)).toBe(true);
    const everything = app.stdout() + app.stderr();
    for (const secret of [
      password,
      registered.data.apiKey,
      registered.data.webhookSecret,
      login.data.accessToken,
      login.data.refreshToken,
      key.data.key,
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('logs the requests answered before routing (413, 415, malformed JSON, 431) once each, with their status', async () => {
    const port = await freePort();
    const app = spawnApp({ ...TEST_ENV, LOG_LEVEL: 'info', PORT: String(port), PROCESS_ROLE: 'api' });
    await app.waitForOutput(/listening on/);
    const base = `http://127.0.0.1:${port}`;
    const send = (body: string, headers: Record<string, string>) =>
      fetch(`${base}/api/auth/login`, { method: 'POST', headers, body });
    const answers = [
      await send('x'.repeat(2 * 1024 * 1024), { 'content-type': 'application/json' }),
      await send('email=a', { 'content-type': 'application/x-www-form-urlencoded' }),
      await send('{"email":', { 'content-type': 'application/json' }),
    ];
    expect(answers.map((res) => res.status)).toEqual([413, 415, 400]);
    const ids = answers.map((res) => res.headers.get('x-request-id'));
    // Headers over Node's 16 KiB never reach Express: a raw socket, as fetch refuses to send them.
    const tooLarge = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`),
      );
      let reply = '';
      socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
      socket.on('close', () => resolve(reply));
    });
    expect(tooLarge).toMatch(/^HTTP\/1\.1 431/);
    await app.waitForOutput(/"statusCode":431/);
    await app.stop('SIGTERM');

    const logged = app
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { req?: { id: string }; res?: { statusCode: number } })
      .filter((line) => line.req && line.res);
    for (const [n, status] of [413, 415, 400].entries()) {
      expect(logged.filter((line) => line.req!.id === ids[n]).map((line) => line.res!.statusCode)).toEqual([
        status,
      ]);
    }
    expect(logged.filter((line) => line.res!.statusCode === 431)).toHaveLength(1);
  });

  it('runs as a worker without HTTP', async () => {
    const port = await freePort();
    const app = spawnApp({ ...TEST_ENV, LOG_LEVEL: 'info', PORT: String(port), PROCESS_ROLE: 'worker' });
    try {
      await app.waitForOutput(/worker started/);
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(false)));
        socket.once('error', () => resolve(true));
      });
      expect(refused).toBe(true);
    } finally {
      const stopped = await app.stop('SIGTERM');
      expect(stopped.code === 0 || stopped.signal === 'SIGTERM').toBe(true);
    }
  });
});
