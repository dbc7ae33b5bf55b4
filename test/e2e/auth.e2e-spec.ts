import { JwtService } from '@nestjs/jwt';
import { connect } from 'node:net';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { bearer, makeUser, uniqueEmail } from '@app/testing/factories';
import { TEST_ADMIN, TEST_ENV } from '../test-env';

describe('Auth (e2e)', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp();
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  describe('POST /api/auth/register', () => {
    it('creates the user with a first API key and a webhook secret', async () => {
      const email = uniqueEmail('Reg');
      const res = await t
        .http()
        .post('/api/auth/register')
        .send({ email: email.toUpperCase(), password: 'password-123' })
        .expect(201);
      expect(res.body).toMatchObject({ success: true, message: 'User registered successfully' });
      expect(res.body.data).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email: email.toLowerCase(),
        role: 'user',
        apiKey: expect.stringMatching(/^ck_[\w-]{43}$/),
        webhookSecret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
        createdAt: expect.any(String),
      });
      expect(Buffer.from(res.body.data.webhookSecret.slice(6), 'base64')).toHaveLength(32);
      const [row] = await db.query('SELECT password_hash FROM users WHERE id = $1', [res.body.data.id]);
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
    });

    it('refuses a duplicate email, whatever its case', async () => {
      const email = uniqueEmail();
      await t.http().post('/api/auth/register').send({ email, password: 'password-123' }).expect(201);
      const res = await t
        .http()
        .post('/api/auth/register')
        .send({ email: email.toUpperCase(), password: 'password-456' })
        .expect(400);
      expect(res.body).toMatchObject({
        success: false,
        message: 'Email already registered',
        code: 'EMAIL_TAKEN',
      });
    });

    const email = 'valid@example.com';
    it.each([
      ['a missing password', { email }, 'password'],
      ['a missing email', { password: 'password-123' }, 'email'],
      ['a bad email', { email: 'not-an-email', password: 'password-123' }, 'email'],
      ['a short password', { email, password: 'short12' }, 'password'],
      ['an over-long password', { email, password: 'x'.repeat(129) }, 'password'],
      ['an unknown field', { email, password: 'password-123', role: 'admin' }, 'role'],
      ['a number for the email', { email: 12345, password: 'password-123' }, 'email'],
      ['an object for the password', { email, password: { $ne: '' } }, 'password'],
    ])('answers 400 naming the field for %s', async (_, body, field) => {
      const res = await t.http().post('/api/auth/register').send(body).expect(400);
      expect(res.body).toMatchObject({
        success: false,
        code: 'VALIDATION_FAILED',
        requestId: expect.any(String),
      });
      expect(res.body.errors[field]).toEqual(expect.arrayContaining([expect.any(String)]));
      expect(res.body.message).toContain(field);
    });

    it('writes nothing for a rejected registration', async () => {
      const email = uniqueEmail('rejected');
      await t.http().post('/api/auth/register').send({ email, password: 'short' }).expect(400);
      const [{ count }] = await db.query('SELECT count(*)::int AS count FROM users WHERE email = $1', [
        email,
      ]);
      expect(count).toBe(0);
    });

    it('answers 400 for malformed JSON', async () => {
      const res = await t
        .http()
        .post('/api/auth/register')
        .set('Content-Type', 'application/json')
        .send('{"email": "a@b.co",')
        .expect(400);
      expect(res.body).toMatchObject({
        success: false,
        code: 'MALFORMED_JSON',
        requestId: res.headers['x-request-id'],
      });
    });

    it('answers 400 for a JSON body that is not an object', async () => {
      const res = await t
        .http()
        .post('/api/auth/register')
        .set('Content-Type', 'application/json')
        .send('["a@b.co"]')
        .expect(400);
      expect(res.body.errors).toHaveProperty('body');
    });

    it('answers 413 for a body over 1 MiB', async () => {
      const res = await t
        .http()
        .post('/api/auth/register')
        .send({ email, password: 'x'.repeat(1024 * 1024 + 10) })
        .expect(413);
      expect(res.body).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });
    });

    it('answers 415 for a body that is not JSON', async () => {
      const res = await t
        .http()
        .post('/api/auth/register')
        .set('Content-Type', 'text/plain')
        .send('email=a@b.co')
        .expect(415);
      expect(res.body).toMatchObject({ success: false, code: 'UNSUPPORTED_MEDIA_TYPE' });
    });
  });

  describe('POST /api/auth/login', () => {
    it('returns a token pair', async () => {
      const user = await makeUser(t);
      const res = await t
        .http()
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      expect(res.body.data).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
      });
    });

    it.each([
      ['a wrong password', 'wrong-password'],
      ['an unknown email', null],
    ])('answers 401 for %s', async (_, password) => {
      const user = await makeUser(t);
      const body = password
        ? { email: user.email, password }
        : { email: uniqueEmail('ghost'), password: user.password };
      const res = await t.http().post('/api/auth/login').send(body).expect(401);
      expect(res.body).toMatchObject({
        success: false,
        message: 'Invalid email or password',
        code: 'INVALID_CREDENTIALS',
      });
    });

    it('answers 400 naming the field for a missing password', async () => {
      const res = await t.http().post('/api/auth/login').send({ email: 'a@example.com' }).expect(400);
      expect(res.body.errors).toHaveProperty('password');
    });
  });

  describe('credentials', () => {
    const jwt = new JwtService();

    it('accepts an access token, a Bearer API key and an X-API-Key', async () => {
      const user = await makeUser(t);
      for (const headers of [bearer(user.accessToken), bearer(user.apiKey), { 'X-API-Key': user.apiKey }]) {
        const res = await t.http().get('/api/auth/me').set(headers).expect(200);
        expect(res.body.data).toEqual({
          id: user.id,
          email: user.email,
          role: 'user',
          createdAt: expect.any(String),
        });
      }
    });

    it('refuses a missing, malformed, forged, expired or refresh token', async () => {
      const user = await makeUser(t);
      const claims = { sub: user.id, email: user.email, role: 'admin', typ: 'access' };
      const forged = jwt.sign(claims, { secret: 'not-the-real-secret-0123456789' });
      const expired = jwt.sign(
        { ...claims, exp: Math.floor(Date.now() / 1000) - 60 },
        { secret: TEST_ENV.JWT_ACCESS_SECRET },
      );
      const cases: Record<string, string>[] = [
        {},
        bearer('not.a.jwt'),
        bearer(forged),
        bearer(expired),
        bearer(user.refreshToken),
        { 'X-API-Key': 'ck_not-a-real-key' },
        { Authorization: user.accessToken },
      ];
      for (const headers of cases) {
        const res = await t.http().get('/api/auth/me').set(headers).expect(401);
        expect(res.body).toMatchObject({
          success: false,
          code: 'UNAUTHORIZED',
          requestId: res.headers['x-request-id'],
        });
      }
    });
  });

  describe('a deleted user', () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const routes: [method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: object][] = [
      ['post', '/api/jobs', { type: 'sleep', payload: { ms: 1 } }],
      ['post', '/api/jobs/batch', { jobs: [{ type: 'sleep', payload: { ms: 1 } }] }],
      ['get', '/api/jobs'],
      ['get', '/api/jobs/stats'],
      ['get', `/api/jobs/${id}`],
      ['patch', `/api/jobs/${id}`, { priority: 1 }],
      ['delete', `/api/jobs/${id}`],
      ['post', `/api/jobs/${id}/retry`],
      ['get', `/api/jobs/${id}/logs`],
      ['get', `/api/jobs/${id}/artifact`],
      ['get', `/api/jobs/${id}/webhook-logs`],
      ['post', `/api/jobs/${id}/webhook-logs/redeliver`],
      ['get', '/api/auth/me'],
      ['post', '/api/auth/api-keys', { name: 'after deletion' }],
      ['get', '/api/auth/api-keys'],
      ['delete', `/api/auth/api-keys/${id}`],
      ['get', '/api/auth/webhook-secret'],
      ['post', '/api/auth/webhook-secret/rotate'],
    ];

    it("answers 401 UNAUTHORIZED on every route to the user's still-valid access token and API key", async () => {
      const gone = await makeUser(t);
      await db.query('DELETE FROM users WHERE id = $1', [gone.id]);
      for (const headers of [bearer(gone.accessToken), { 'X-API-Key': gone.apiKey }]) {
        for (const [method, path, body] of routes) {
          const res = await t.http()[method](path).set(headers).send(body);
          expect({ method, path, status: res.status, code: res.body.code }).toEqual({
            method,
            path,
            status: 401,
            code: 'UNAUTHORIZED',
          });
        }
      }
    });
  });

  describe('POST /api/auth/refresh', () => {
    it('rotates: the new pair works, the old refresh token does not', async () => {
      const user = await makeUser(t);
      const first = await t
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(200);
      expect(first.body.data.refreshToken).not.toBe(user.refreshToken);
      await t.http().get('/api/auth/me').set(bearer(first.body.data.accessToken)).expect(200);
      const second = await t
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: first.body.data.refreshToken })
        .expect(200);
      expect(second.body.data.tokenType).toBe('Bearer');
    });

    it('detects reuse and revokes the whole family', async () => {
      const user = await makeUser(t);
      const rotated = await t
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(200);
      const reuse = await t
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(401);
      expect(reuse.body.code).toBe('INVALID_REFRESH_TOKEN');
      // The thief's (or the victim's) newer token is revoked too.
      await t
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: rotated.body.data.refreshToken })
        .expect(401);
      // Another login of the same user is a different family and still works.
      const other = await t
        .http()
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      await t
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: other.body.data.refreshToken })
        .expect(200);
    });

    it('lets only one of two concurrent refreshes with one token win', async () => {
      const user = await makeUser(t);
      const results = await Promise.all(
        [1, 2].map(() => t.http().post('/api/auth/refresh').send({ refreshToken: user.refreshToken })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    });

    it('refuses a forged refresh token and an access token', async () => {
      const user = await makeUser(t);
      await t.http().post('/api/auth/refresh').send({ refreshToken: 'garbage' }).expect(401);
      await t.http().post('/api/auth/refresh').send({ refreshToken: user.accessToken }).expect(401);
      const res = await t.http().post('/api/auth/refresh').send({}).expect(400);
      expect(res.body.errors).toHaveProperty('refreshToken');
    });
  });

  describe('POST /api/auth/logout', () => {
    it('ends the login: its refresh token stops working', async () => {
      const user = await makeUser(t);
      const res = await t
        .http()
        .post('/api/auth/logout')
        .send({ refreshToken: user.refreshToken })
        .expect(200);
      expect(res.body).toEqual({ success: true, message: 'Logout successful', data: null });
      await t.http().post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
    });
  });

  describe('API keys', () => {
    it('creates, lists without secrets, records use, and revokes at once', async () => {
      const user = await makeUser(t);
      const created = await t
        .http()
        .post('/api/auth/api-keys')
        .set(bearer(user.accessToken))
        .send({ name: 'ci' })
        .expect(201);
      const key = created.body.data;
      expect(key).toEqual({
        id: expect.any(String),
        name: 'ci',
        prefix: key.key.slice(0, 11),
        key: expect.stringMatching(/^ck_/),
        createdAt: expect.any(String),
      });
      await t.http().get('/api/auth/me').set({ 'X-API-Key': key.key }).expect(200);

      const list = await t.http().get('/api/auth/api-keys').set(bearer(user.accessToken)).expect(200);
      expect(list.body.data).toHaveLength(2);
      const listed = list.body.data.find((k: { id: string }) => k.id === key.id);
      expect(listed).toEqual({
        id: key.id,
        name: 'ci',
        prefix: key.prefix,
        lastUsedAt: expect.any(String),
        createdAt: key.createdAt,
      });
      expect(JSON.stringify(list.body)).not.toContain(key.key);

      await t.http().delete(`/api/auth/api-keys/${key.id}`).set(bearer(user.accessToken)).expect(200);
      await t.http().get('/api/auth/me').set({ 'X-API-Key': key.key }).expect(401);
      await t.http().get('/api/auth/me').set(bearer(key.key)).expect(401);
      const after = await t.http().get('/api/auth/api-keys').set(bearer(user.accessToken)).expect(200);
      expect(after.body.data.map((k: { id: string }) => k.id)).not.toContain(key.id);
      await t.http().delete(`/api/auth/api-keys/${key.id}`).set(bearer(user.accessToken)).expect(404);
    });

    it("answers 404 for another user's key and for a non-UUID id", async () => {
      const owner = await makeUser(t);
      const other = await makeUser(t);
      const created = await t
        .http()
        .post('/api/auth/api-keys')
        .set(bearer(owner.accessToken))
        .send({ name: 'mine' })
        .expect(201);
      const res = await t
        .http()
        .delete(`/api/auth/api-keys/${created.body.data.id}`)
        .set(bearer(other.accessToken))
        .expect(404);
      expect(res.body.code).toBe('API_KEY_NOT_FOUND');
      await t.http().get('/api/auth/me').set({ 'X-API-Key': created.body.data.key }).expect(200);
      await t.http().delete('/api/auth/api-keys/not-a-uuid').set(bearer(owner.accessToken)).expect(404);
    });

    it('answers 400 naming the field for a bad name', async () => {
      const user = await makeUser(t);
      for (const body of [{}, { name: '' }, { name: 'x'.repeat(101) }, { name: 42 }]) {
        const res = await t
          .http()
          .post('/api/auth/api-keys')
          .set(bearer(user.accessToken))
          .send(body)
          .expect(400);
        expect(res.body.errors).toHaveProperty('name');
      }
    });
  });

  describe('webhook secret', () => {
    it('shows the secret and rotates it, keeping the previous one with its rotation time', async () => {
      const user = await makeUser(t);
      const shown = await t.http().get('/api/auth/webhook-secret').set(bearer(user.accessToken)).expect(200);
      expect(shown.body.data).toEqual({ webhookSecret: user.webhookSecret });

      const rotated = await t
        .http()
        .post('/api/auth/webhook-secret/rotate')
        .set({ 'X-API-Key': user.apiKey })
        .expect(200);
      const next = rotated.body.data.webhookSecret;
      expect(next).toMatch(/^whsec_/);
      expect(next).not.toBe(user.webhookSecret);
      const again = await t.http().get('/api/auth/webhook-secret').set(bearer(user.accessToken)).expect(200);
      expect(again.body.data.webhookSecret).toBe(next);

      const [row] = await db.query(
        'SELECT secret, previous_secret, rotated_at FROM webhook_secrets WHERE user_id = $1',
        [user.id],
      );
      expect(row).toEqual({
        secret: next,
        previous_secret: user.webhookSecret,
        rotated_at: expect.any(Date),
      });
      expect(Date.now() - row.rotated_at.getTime()).toBeLessThan(60_000);
    });
  });

  describe('admin bootstrap', () => {
    it('creates the admin from ADMIN_EMAIL/ADMIN_PASSWORD', async () => {
      const login = await t.http().post('/api/auth/login').send(TEST_ADMIN).expect(200);
      const me = await t.http().get('/api/auth/me').set(bearer(login.body.data.accessToken)).expect(200);
      expect(me.body.data).toMatchObject({ email: TEST_ADMIN.email, role: 'admin' });
    });
  });

  describe('requests the HTTP parser rejects', () => {
    /** A raw request over TCP: supertest and fetch refuse to send what is tested here. */
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(t.url).port), '127.0.0.1', () => socket.end(request));
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
        socket.on('end', () => resolve(answer)).on('error', reject);
      });
    const envelope = (answer: string) =>
      JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;

    it('answers 431 with the error envelope for headers over 16 KiB', async () => {
      const answer = await raw(
        `GET /api/auth/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      expect(envelope(answer)).toEqual({
        success: false,
        message: expect.any(String),
        code: 'HEADERS_TOO_LARGE',
        requestId: expect.any(String),
      });
    });

    it('answers 400 with the error envelope for bytes that are not HTTP', async () => {
      const answer = await raw('GET /api/auth/me HTTP/1.1\r\nHost: x\r\nBad Header\u0001: y\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(envelope(answer)).toMatchObject({ success: false, code: 'MALFORMED_REQUEST' });
    });
  });

  describe('request ids', () => {
    it('echoes a caller-supplied X-Request-Id and makes one otherwise', async () => {
      const echoed = await t.http().get('/api/auth/me').set('X-Request-Id', 'trace-abc-123').expect(401);
      expect(echoed.headers['x-request-id']).toBe('trace-abc-123');
      expect(echoed.body.requestId).toBe('trace-abc-123');
      const made = await t.http().get('/api/nope').expect(404);
      expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(made.body).toMatchObject({ code: 'NOT_FOUND', requestId: made.headers['x-request-id'] });
    });
  });
});
