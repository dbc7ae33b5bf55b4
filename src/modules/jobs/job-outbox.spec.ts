import { fake } from '@app/testing/fake';
import { LessThan, type Repository } from 'typeorm';
import { JobEntity } from './entities/job.entity';
import { JobOutbox } from './job-outbox';
import type { JobStore } from './job-store';

describe(JobOutbox.name, () => {
  const now = Date.parse('2030-01-01T00:10:00Z');
  const jobs = { find: jest.fn() };
  const store = { markWebhookQueued: jest.fn() };
  const sut = new JobOutbox(fake<Repository<JobEntity>>(jobs), fake<JobStore>(store));
  const finished = (id: string, finishedAt: Date) =>
    Object.assign(new JobEntity(), {
      id,
      status: 'DONE',
      webhookUrl: 'https://h.example',
      runAt: null,
      nextRetryAt: null,
      startedAt: null,
      finishedAt,
      createdAt: finishedAt,
      updatedAt: finishedAt,
    });

  beforeAll(() => jest.spyOn(Date, 'now').mockReturnValue(now));
  afterAll(() => jest.restoreAllMocks());
  beforeEach(() => jest.clearAllMocks());

  it('answers the oldest flagged jobs past the grace, as views', async () => {
    const at = new Date('2030-01-01T00:00:00.123Z');
    jobs.find.mockResolvedValue([finished('j1', at), finished('j2', new Date(now - 20_000))]);
    const due = await sut.due(10_000, 500);
    expect(jobs.find).toHaveBeenCalledWith({
      where: { webhookPending: true, finishedAt: LessThan(new Date(now - 10_000)) },
      order: { finishedAt: 'ASC' },
      take: 500,
    });
    expect(due.map((job) => job.id)).toEqual(['j1', 'j2']);
    expect(due[0]).toMatchObject({ status: 'DONE', finishedAt: '2030-01-01T00:00:00.123Z' });
  });

  it('clears the flag of that finish through the store', async () => {
    store.markWebhookQueued.mockResolvedValue(undefined);
    await sut.markQueued('j1', '2030-01-01T00:00:00.123Z');
    expect(store.markWebhookQueued).toHaveBeenCalledWith('j1', '2030-01-01T00:00:00.123Z');
  });
});
