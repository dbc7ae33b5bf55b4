import { fake } from '@app/testing/fake';
import type { SubmitJobDto } from '../../dto/submit-job.dto';
import type { Idempotency } from '../../submission/idempotency';
import type { JobDraft, JobDrafts } from '../../submission/job-drafts';
import type { JobEnqueuer } from '../../submission/job-enqueuer';
import { requestHash } from '../../submission/request-hash';
import { SubmitJobCommand } from './submit-job.command';
import { SubmitJobHandler } from './submit-job.handler';

describe(SubmitJobHandler.name, () => {
  const at = new Date('2030-01-01T00:00:00Z');
  const drafts = { fromDtos: jest.fn() };
  const enqueuer = {
    submit: jest.fn((rows: JobDraft[]) =>
      Promise.resolve(rows.map((r) => ({ ...r, id: 'j1', createdAt: at, updatedAt: at }))),
    ),
  };
  const idempotency = {
    run: jest.fn(async (_u: string, _k: string, _h: string, create: () => Promise<unknown>) => ({
      job: await create(),
      replayed: false,
    })),
  };
  const sut = new SubmitJobHandler(
    fake<JobDrafts>(drafts),
    fake<JobEnqueuer>(enqueuer),
    fake<Idempotency>(idempotency),
  );
  const dto: SubmitJobDto = { type: 'sleep', payload: { delayMs: 1 }, priority: 'high' };
  let draft: Partial<JobDraft>;

  beforeEach(() => {
    jest.clearAllMocks();
    draft = { userId: 'u1', type: 'sleep', runAt: null, idempotencyKey: null, requestHash: null };
    drafts.fromDtos.mockResolvedValue([draft]);
  });

  it.each(['', 'has space', 'ünïcode', 'x'.repeat(256)])('refuses the Idempotency-Key %j', async (key) => {
    await expect(sut.execute(new SubmitJobCommand('u1', dto, key))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: { 'Idempotency-Key': [expect.any(String)] },
    });
    expect(drafts.fromDtos).not.toHaveBeenCalled();
  });

  it('submits without a key straight through the enqueuer', async () => {
    const submitted = await sut.execute(new SubmitJobCommand('u1', dto));
    expect(drafts.fromDtos).toHaveBeenCalledWith('u1', [{ dto, prefix: '' }]);
    expect(enqueuer.submit).toHaveBeenCalledWith([draft], 'api');
    expect(submitted).toMatchObject({ replayed: false, job: { id: 'j1' } });
    expect(idempotency.run).not.toHaveBeenCalled();
  });

  it('hashes the body without idempotencyKey and puts key and hash on the draft', async () => {
    const submitted = await sut.execute(new SubmitJobCommand('u1', { ...dto, idempotencyKey: 'k-1' }, 'k-1'));
    const hash = requestHash(dto);
    expect(idempotency.run).toHaveBeenCalledWith('u1', 'k-1', hash, expect.any(Function));
    expect(draft).toMatchObject({ idempotencyKey: 'k-1', requestHash: hash });
    expect(enqueuer.submit).toHaveBeenCalledWith([draft], 'api');
    expect(submitted).toMatchObject({ job: { id: 'j1', idempotencyKey: 'k-1' } });
  });

  it('hashes a header key the same as the same key in the body', async () => {
    await sut.execute(new SubmitJobCommand('u1', dto, 'k-1'));
    await sut.execute(new SubmitJobCommand('u1', { ...dto, idempotencyKey: 'k-1' }, 'k-1'));
    const [[, , first], [, , second]] = idempotency.run.mock.calls;
    expect(first).toBe(second);
  });
});
