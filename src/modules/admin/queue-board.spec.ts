import { AppError } from '@app/common/errors/app-error';
import { fake } from '@app/testing/fake';
import type { Request, Response } from 'express';
import { LoginCommand } from '../auth/commands/login/login.command';
import { AuthenticateTokenQuery } from '../auth/queries/authenticate-token/authenticate-token.query';
import { queueBoardAuth } from './queue-board';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe(queueBoardAuth.name, () => {
  const admin = { id: 'a1', email: 'root@example.com', role: 'admin' as const };
  const user = { id: 'u1', email: 'ada@example.com', role: 'user' as const };
  let queries: { execute: jest.Mock };
  let commands: { execute: jest.Mock };
  let throttler: { increment: jest.Mock };
  let sut: ReturnType<typeof queueBoardAuth>;

  const request = (authorization?: string) =>
    fake<Request>({ headers: authorization ? { authorization } : {}, ip: '10.0.0.1', socket: {} });
  const response = () => {
    const headers: Record<string, unknown> = {};
    return {
      headers,
      res: fake<Response>({ setHeader: (name: string, value: unknown) => (headers[name] = value) }),
    };
  };
  const run = async (authorization?: string) => {
    const { headers, res } = response();
    const next = jest.fn();
    const error = await sut(request(authorization), res, next).then(
      () => undefined,
      (e: unknown) => e as AppError,
    );
    return { error, next, headers };
  };

  beforeEach(() => {
    queries = {
      execute: jest.fn(({ token }: AuthenticateTokenQuery) =>
        Promise.resolve(token === 'admin-token' ? admin : token === 'user-token' ? user : undefined),
      ),
    };
    commands = {
      execute: jest.fn(({ email, password }: LoginCommand) =>
        password === 'right'
          ? Promise.resolve({
              accessToken: email === admin.email ? 'admin-token' : 'user-token',
              expiresIn: 900,
            })
          : Promise.reject(new AppError('INVALID_CREDENTIALS', 'Invalid email or password')),
      ),
    };
    throttler = { increment: jest.fn().mockResolvedValue({ isBlocked: false, timeToBlockExpire: 0 }) };
    sut = queueBoardAuth({
      queries: fake(queries),
      commands: fake(commands),
      throttler: fake(throttler),
      loginsPerMinute: 10,
    });
  });

  it("lets an admin's token through", async () => {
    const { error, next } = await run('Bearer admin-token');
    expect(error).toBeUndefined();
    expect(next).toHaveBeenCalled();
  });

  it('answers 401 with a Basic challenge without valid credentials', async () => {
    for (const authorization of [undefined, 'Bearer nonsense', basic(admin.email, 'wrong')]) {
      const { error, next, headers } = await run(authorization);
      expect(error).toMatchObject({ code: 'UNAUTHORIZED' });
      expect(headers['WWW-Authenticate']).toMatch(/^Basic realm=/);
      expect(next).not.toHaveBeenCalled();
    }
  });

  it('answers 403 to a user who is not an admin', async () => {
    expect((await run('Bearer user-token')).error).toMatchObject({ code: 'FORBIDDEN' });
    expect((await run(basic(user.email, 'right'))).error).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('remembers a verified Basic sign-in instead of logging in on every request', async () => {
    for (let i = 0; i < 3; i++) expect((await run(basic(admin.email, 'right'))).next).toHaveBeenCalled();
    expect(commands.execute).toHaveBeenCalledTimes(1);
    expect(commands.execute).toHaveBeenCalledWith(new LoginCommand(admin.email, 'right'));
    expect(throttler.increment).toHaveBeenCalledTimes(1);
  });

  it('does not remember a failed sign-in', async () => {
    await run(basic(admin.email, 'wrong'));
    await run(basic(admin.email, 'wrong'));
    expect(commands.execute).toHaveBeenCalledTimes(2);
  });

  it('counts password attempts per IP like the login route, and answers 429 once blocked', async () => {
    throttler.increment.mockResolvedValue({ isBlocked: true, timeToBlockExpire: 42 });
    const { error, headers } = await run(basic(admin.email, 'right'));
    expect(throttler.increment).toHaveBeenCalledWith(
      'password-guess:10.0.0.1',
      60_000,
      10,
      60_000,
      'default',
    );
    expect(error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(headers['Retry-After']).toBe(42);
    expect(commands.execute).not.toHaveBeenCalled();
  });
});
