import { fake } from '@app/testing/fake';
import type { SubmitJobDto } from '../dto/submit-job.dto';
import { testConfig } from '@app/testing/job-context';
import type { JobTypeRegistry } from '../job-type-registry';
import { JobDrafts } from './job-drafts';

describe(JobDrafts.name, () => {
  const registry = { validate: jest.fn() };
  const drafts = (env: Parameters<typeof testConfig>[0] = {}) =>
    new JobDrafts(fake<JobTypeRegistry>(registry), testConfig(env));
  const sut = drafts({ ALLOW_PRIVATE_NETWORK_TARGETS: 'false', MAX_RETRIES: '5', JOB_TIMEOUT_MS: '45000' });
  const dto = (extra: Partial<SubmitJobDto> = {}): SubmitJobDto => ({
    type: 'sleep',
    payload: { delayMs: 1 },
    ...extra,
  });
  const one = (d: SubmitJobDto, s = sut) => s.fromDtos('u1', [{ dto: d, prefix: '' }]);
  const webhookError = ['webhookUrl must not point to a private, loopback or link-local address'];

  beforeEach(() => registry.validate.mockReset().mockResolvedValue(undefined));

  it('fills in the defaults', async () => {
    expect(await one(dto())).toEqual([
      {
        userId: 'u1',
        type: 'sleep',
        priority: 'normal',
        payload: { delayMs: 1 },
        maxRetries: 5,
        timeoutMs: 45000,
        webhookUrl: null,
        runAt: null,
        idempotencyKey: null,
        requestHash: null,
      },
    ]);
    expect(registry.validate).toHaveBeenCalledWith('sleep', { delayMs: 1 }, 'payload');
  });

  it('keeps what the request gives', async () => {
    const runAt = '2030-01-01T00:00:00.000Z';
    const [draft] = await one(
      dto({ priority: 'high', maxRetries: 0, timeoutMs: 1000, runAt, webhookUrl: 'https://example.com/h' }),
    );
    expect(draft).toMatchObject({
      priority: 'high',
      maxRetries: 0,
      timeoutMs: 1000,
      webhookUrl: 'https://example.com/h',
    });
    expect(draft.runAt).toEqual(new Date(runAt));
  });

  it('turns delayMs into runAt', async () => {
    const before = Date.now();
    const [draft] = await one(dto({ delayMs: 60_000 }));
    expect(draft.runAt!.getTime()).toBeGreaterThanOrEqual(before + 60_000);
    expect(draft.runAt!.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('refuses delayMs with runAt, under the batch prefix', async () => {
    const both = dto({ delayMs: 1000, runAt: '2030-01-01T00:00:00.000Z' });
    await expect(one(both)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: { runAt: expect.any(Array) },
    });
    const batch = [dto(), dto(), both].map((d, i) => ({ dto: d, prefix: `jobs.${i}.` }));
    await expect(sut.fromDtos('u1', batch)).rejects.toMatchObject({
      errors: { 'jobs.2.runAt': ['runAt and delayMs cannot be used together'] },
    });
  });

  it.each([
    'http://127.0.0.1/hook',
    'http://localhost:8080/hook',
    'http://api.localhost/hook',
    'http://[::1]/hook',
    'http://10.1.2.3/hook',
    'http://192.168.0.1/hook',
    'http://169.254.169.254/latest/meta-data',
  ])('refuses the private webhook %s', async (webhookUrl) => {
    await expect(one(dto({ webhookUrl }))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: { webhookUrl: webhookError },
    });
  });

  it('allows private webhooks when ALLOW_PRIVATE_NETWORK_TARGETS=true', async () => {
    const open = drafts({ ALLOW_PRIVATE_NETWORK_TARGETS: 'true' });
    for (const webhookUrl of [
      'http://127.0.0.1/h',
      'http://localhost/h',
      'http://[::1]/h',
      'http://10.0.0.1/h',
    ]) {
      expect((await one(dto({ webhookUrl }), open))[0].webhookUrl).toBe(webhookUrl);
    }
  });

  it.each(['https://example.com/hook', 'http://8.8.8.8/hook', 'https://hooks.localhost.example.com/'])(
    'allows the public webhook %s',
    async (webhookUrl) => {
      expect((await one(dto({ webhookUrl })))[0].webhookUrl).toBe(webhookUrl);
    },
  );

  it('collects every error of a batch into one VALIDATION_FAILED', async () => {
    registry.validate.mockImplementation((_type: string, _payload: object, path: string) =>
      Promise.resolve(
        path === 'jobs.0.payload' ? { 'jobs.0.payload.delayMs': ['delayMs must be an integer'] } : undefined,
      ),
    );
    const batch = [
      dto(),
      dto({ webhookUrl: 'http://127.0.0.1/' }),
      dto({ delayMs: 1, runAt: '2030-01-01T00:00:00.000Z' }),
    ].map((d, i) => ({ dto: d, prefix: `jobs.${i}.` }));
    const error = await sut.fromDtos('u1', batch).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AppError', code: 'VALIDATION_FAILED' });
    expect(Object.keys((error as { errors: object }).errors).sort()).toEqual([
      'jobs.0.payload.delayMs',
      'jobs.1.webhookUrl',
      'jobs.2.runAt',
    ]);
    expect(registry.validate).toHaveBeenCalledTimes(3);
  });
});
