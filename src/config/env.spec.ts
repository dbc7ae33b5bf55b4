import { deprecatedVariablesIn, durationSeconds, InvalidConfigError, redisUrl, validateEnv } from './env';

/** The problems validateEnv reports for `raw`, or [] when it accepts it. */
function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    validateEnv(raw);
    return [];
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    return error.problems;
  }
}

describe(validateEnv.name, () => {
  const ownSecrets = {
    JWT_ACCESS_SECRET: 'a-real-access-secret-0123',
    JWT_REFRESH_SECRET: 'a-real-refresh-secret-0123',
  };

  it('falls back to the .env.example defaults', () => {
    expect(validateEnv({})).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      PROCESS_ROLE: 'all',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/conveyor',
      REDIS_URL: undefined,
      WORKER_CONCURRENCY: 5,
      JWT_ACCESS_EXPIRES_IN: '15m',
    });
  });

  it('parses numbers and keeps given values', () => {
    expect(validateEnv({ PORT: '8080', WORKER_CONCURRENCY: '12', PROCESS_ROLE: 'worker' })).toMatchObject({
      PORT: 8080,
      WORKER_CONCURRENCY: 12,
      PROCESS_ROLE: 'worker',
    });
  });

  it('treats empty strings as unset', () => {
    expect(validateEnv({ PORT: '', DATABASE_URL: '', PROCESS_ROLE: '' })).toMatchObject({
      PORT: 3000,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/conveyor',
      PROCESS_ROLE: 'all',
    });
  });

  it.each([
    ['PORT', 'abc', /integer/],
    ['DATABASE_URL', 'mysql://root@localhost/conveyor', /postgres:\/\//],
    ['WORKER_CONCURRENCY', '0', /less than 1/],
    ['PROCESS_ROLE', 'both', /all, api, worker/],
  ])('reports %s=%s in one message naming it', (name, value, detail) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: `));
    expect(problems[0]).toMatch(detail);
  });

  it('reports every bad variable at once, one line each', () => {
    const problems = problemsOf({
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      WORKER_CONCURRENCY: '0',
      PROCESS_ROLE: 'both',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'PORT',
      'PROCESS_ROLE',
      'WORKER_CONCURRENCY',
    ]);
    expect(() =>
      validateEnv({ PORT: 'abc', DATABASE_URL: 'mysql://x', WORKER_CONCURRENCY: '0', PROCESS_ROLE: 'both' }),
    ).toThrow(/^Invalid configuration: .*PORT/);
  });

  it('parses the booleans once, with true/false/1/0', () => {
    expect(validateEnv({})).toMatchObject({ DB_MIGRATIONS_RUN: true, ALLOW_PRIVATE_NETWORK_TARGETS: false });
    expect(validateEnv({ DB_MIGRATIONS_RUN: 'false', ALLOW_PRIVATE_NETWORK_TARGETS: '1' })).toMatchObject({
      DB_MIGRATIONS_RUN: false,
      ALLOW_PRIVATE_NETWORK_TARGETS: true,
    });
    expect(validateEnv({ DB_MIGRATIONS_RUN: '0', ALLOW_PRIVATE_NETWORK_TARGETS: 'true' })).toMatchObject({
      DB_MIGRATIONS_RUN: false,
      ALLOW_PRIVATE_NETWORK_TARGETS: true,
    });
  });

  it.each([
    ['DB_MIGRATIONS_RUN', 'yes'],
    ['ALLOW_PRIVATE_NETWORK_TARGETS', 'TRUE'],
    ['DB_MIGRATIONS_RUN', 'toString'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(problemsOf({ [name]: value })).toEqual([`${name}: ${name} must be true, false, 1 or 0`]);
  });

  describe('WEBHOOK_MAX_ATTEMPTS', () => {
    it('reads the deprecated WEBHOOK_MAX_RETRIES while it is unset', () => {
      expect(validateEnv({ WEBHOOK_MAX_RETRIES: '7' }).WEBHOOK_MAX_ATTEMPTS).toBe(7);
      expect(validateEnv({ WEBHOOK_MAX_RETRIES: '7', WEBHOOK_MAX_ATTEMPTS: '' }).WEBHOOK_MAX_ATTEMPTS).toBe(
        7,
      );
    });

    it('prefers the new name when both are set', () => {
      expect(validateEnv({ WEBHOOK_MAX_RETRIES: '7', WEBHOOK_MAX_ATTEMPTS: '2' }).WEBHOOK_MAX_ATTEMPTS).toBe(
        2,
      );
    });

    it('defaults to 3 and validates the old name like the new one', () => {
      expect(validateEnv({}).WEBHOOK_MAX_ATTEMPTS).toBe(3);
      expect(problemsOf({ WEBHOOK_MAX_RETRIES: '0' })).toEqual([
        expect.stringMatching(/^WEBHOOK_MAX_ATTEMPTS: .*less than 1/),
      ]);
    });
  });

  describe('WEBHOOK_USER_CONCURRENCY', () => {
    it('defaults to 2 of a worker process’s 10 delivery slots', () => {
      expect(validateEnv({})).toMatchObject({ WEBHOOK_CONCURRENCY: 10, WEBHOOK_USER_CONCURRENCY: 2 });
      expect(validateEnv({ WEBHOOK_CONCURRENCY: '4', WEBHOOK_USER_CONCURRENCY: '3' })).toMatchObject({
        WEBHOOK_CONCURRENCY: 4,
        WEBHOOK_USER_CONCURRENCY: 3,
      });
    });

    it.each([
      ['2', '2'],
      ['5', '2'],
      ['10', undefined],
    ])(
      'refuses %s per user with WEBHOOK_CONCURRENCY=%s, naming both and the numbers',
      (perUser, perWorker) => {
        const problems = problemsOf({ WEBHOOK_USER_CONCURRENCY: perUser, WEBHOOK_CONCURRENCY: perWorker });
        expect(problems).toEqual([
          `WEBHOOK_USER_CONCURRENCY: must be smaller than WEBHOOK_CONCURRENCY (${perUser} is not smaller than ${perWorker ?? 10}), so that one user's slow receivers cannot take every delivery slot of a worker`,
        ]);
      },
    );

    it('reports a bad value by itself, not the comparison', () => {
      expect(problemsOf({ WEBHOOK_USER_CONCURRENCY: '0' })).toEqual([
        expect.stringMatching(/^WEBHOOK_USER_CONCURRENCY: .*less than 1/),
      ]);
      expect(problemsOf({ WEBHOOK_CONCURRENCY: 'many' })).toEqual([
        expect.stringMatching(/^WEBHOOK_CONCURRENCY: .*integer/),
      ]);
    });
  });

  describe('in production', () => {
    it('requires both JWT secrets to be set', () => {
      const problems = problemsOf({ NODE_ENV: 'production' });
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(/^JWT_ACCESS_SECRET: must be set/);
      expect(problems[1]).toMatch(/^JWT_REFRESH_SECRET: must be set/);
    });

    it('refuses the .env.example secrets', () => {
      const problems = problemsOf({
        NODE_ENV: 'production',
        JWT_ACCESS_SECRET: 'change-me-access-secret',
        JWT_REFRESH_SECRET: ownSecrets.JWT_REFRESH_SECRET,
      });
      expect(problems).toEqual([expect.stringMatching(/^JWT_ACCESS_SECRET: /)]);
    });

    it('accepts secrets of its own', () => {
      expect(validateEnv({ NODE_ENV: 'production', ...ownSecrets })).toMatchObject(ownSecrets);
    });
  });
});

describe(deprecatedVariablesIn.name, () => {
  it('names each deprecated variable that is set, and its replacement', () => {
    expect(deprecatedVariablesIn({ WEBHOOK_MAX_RETRIES: '5', PORT: '1' })).toEqual([
      'WEBHOOK_MAX_RETRIES is deprecated: set WEBHOOK_MAX_ATTEMPTS instead (WEBHOOK_MAX_RETRIES is read only while WEBHOOK_MAX_ATTEMPTS is unset)',
    ]);
  });

  it('is empty when none is set (an empty value counts as unset)', () => {
    expect(deprecatedVariablesIn({ WEBHOOK_MAX_ATTEMPTS: '5', WEBHOOK_MAX_RETRIES: '' })).toEqual([]);
  });
});

describe(durationSeconds.name, () => {
  it.each([
    ['900s', 900],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604_800],
  ])('%s is %i seconds', (duration, seconds) => {
    expect(durationSeconds(duration)).toBe(seconds);
  });
});

it.each(['500ms', '0s', '15', 'soon'])('refuses the token lifetime %s', (value) => {
  expect(() => validateEnv({ JWT_ACCESS_EXPIRES_IN: value })).toThrow(/JWT_ACCESS_EXPIRES_IN/);
});

describe(redisUrl.name, () => {
  it('prefers REDIS_URL', () => {
    expect(redisUrl({ REDIS_URL: 'rediss://cache:6380/2', REDIS_HOST: 'h', REDIS_PORT: 1 })).toBe(
      'rediss://cache:6380/2',
    );
  });

  it('builds a URL from host and port otherwise', () => {
    expect(redisUrl({ REDIS_HOST: 'cache', REDIS_PORT: 6390 })).toBe('redis://cache:6390');
  });
});
