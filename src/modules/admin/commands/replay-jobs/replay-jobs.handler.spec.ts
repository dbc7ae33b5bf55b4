import { Logger } from '@nestjs/common';
import { AppError } from '@app/common/errors/app-error';
import { fake } from '@app/testing/fake';
import { RetryJobCommand } from '../../../jobs/commands/retry-job/retry-job.command';
import { ReplayJobsCommand } from './replay-jobs.command';
import { ReplayJobsHandler } from './replay-jobs.handler';

Logger.overrideLogger(false);

describe(ReplayJobsHandler.name, () => {
  const admin = { id: 'a1', email: 'root@example.com', role: 'admin' as const };
  const filter = { status: 'FAILED' as const, type: 'sleep' };
  let search: { count: jest.Mock; oldestIds: jest.Mock };
  let commands: { execute: jest.Mock };
  let logs: { append: jest.Mock };
  let sut: ReplayJobsHandler;
  /** A quota of `left` jobs, as QuotaCharge keeps it: take all or none, keep, refund what is not kept. */
  let left: number;
  let charge: { taken: number; kept: number; take: jest.Mock; keep: jest.Mock; refund: jest.Mock };

  beforeEach(() => {
    search = {
      count: jest.fn().mockResolvedValue(3),
      oldestIds: jest.fn().mockResolvedValue(['j1', 'j2', 'j3']),
    };
    commands = { execute: jest.fn().mockResolvedValue({}) };
    logs = { append: jest.fn().mockResolvedValue(undefined) };
    sut = new ReplayJobsHandler(fake(search), fake(commands), fake(logs));
    left = 10;
    charge = {
      taken: 0,
      kept: 0,
      take: jest.fn((jobs: number) => {
        if (jobs > left) return Promise.reject(new AppError('RATE_LIMITED', 'Too many requests.'));
        [left, charge.taken] = [left - jobs, charge.taken + jobs];
        return Promise.resolve();
      }),
      keep: jest.fn((jobs: number) => void (charge.kept += jobs)),
      refund: jest.fn((jobs: number) => {
        [left, charge.taken] = [left + jobs, charge.taken - jobs];
        return Promise.resolve();
      }),
    };
  });

  it('only counts on a dry run', async () => {
    const result = await sut.execute(new ReplayJobsCommand(admin, filter, true, 1000, charge));
    expect(result).toEqual({ matched: 3, replayed: 0, dryRun: true });
    expect(search.count).toHaveBeenCalledWith(filter);
    expect(search.oldestIds).not.toHaveBeenCalled();
    expect(commands.execute).not.toHaveBeenCalled();
    expect(logs.append).not.toHaveBeenCalled();
    expect(charge.take).not.toHaveBeenCalled();
  });

  it('takes the jobs found from the quota before replaying any of them', async () => {
    await sut.execute(new ReplayJobsCommand(admin, filter, false, 1000, charge));
    expect(charge.take).toHaveBeenCalledWith(3);
    expect(charge.take.mock.invocationCallOrder[0]).toBeLessThan(
      commands.execute.mock.invocationCallOrder[0],
    );
    expect(left).toBe(7);
  });

  it('replays nothing when the jobs found do not fit in what is left (429)', async () => {
    left = 2;
    await expect(
      sut.execute(new ReplayJobsCommand(admin, filter, false, 1000, charge)),
    ).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
    expect(commands.execute).not.toHaveBeenCalled();
    expect(logs.append).not.toHaveBeenCalled();
    expect(left).toBe(2);
  });

  it("retries the oldest `limit` matches as a replay and names the admin in each job's log", async () => {
    const result = await sut.execute(new ReplayJobsCommand(admin, filter, false, 3, charge));
    expect(search.oldestIds).toHaveBeenCalledWith(filter, 3);
    expect(commands.execute.mock.calls.map(([command]) => command as unknown)).toEqual([
      new RetryJobCommand(null, 'j1', 'replay'),
      new RetryJobCommand(null, 'j2', 'replay'),
      new RetryJobCommand(null, 'j3', 'replay'),
    ]);
    expect(logs.append).toHaveBeenCalledWith('j2', 'info', 'Replayed by admin root@example.com');
    expect(result).toEqual({ matched: 3, replayed: 3, dryRun: false, jobIds: ['j1', 'j2', 'j3'] });
  });

  it('skips a job that left the dead-letter set since it was counted', async () => {
    commands.execute.mockImplementation(({ jobId }: RetryJobCommand) =>
      jobId === 'j2'
        ? Promise.reject(new AppError('INVALID_OPERATION', 'Cannot retry job with status PENDING.'))
        : Promise.resolve({}),
    );
    const result = await sut.execute(new ReplayJobsCommand(admin, filter, false, 1000, charge));
    expect(result).toEqual({ matched: 3, replayed: 2, dryRun: false, jobIds: ['j1', 'j3'] });
    expect(logs.append).not.toHaveBeenCalledWith('j2', expect.anything(), expect.anything());
    expect(left).toBe(8); // the skipped one is given back
  });

  it('stops at an unexpected error (a backing service down)', async () => {
    commands.execute.mockImplementation(({ jobId }: RetryJobCommand) =>
      jobId === 'j1' ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve({}),
    );
    await expect(sut.execute(new ReplayJobsCommand(admin, filter, false, 1000, charge))).rejects.toThrow(
      'Connection is closed.',
    );
    // j2 and j3 were replayed beside j1 (one round of up to 10): they stay counted whatever the answer.
    expect(charge.keep).toHaveBeenCalledWith(2);
    expect(logs.append).toHaveBeenCalledTimes(2);
  });

  it('does not look for ids when nothing matches', async () => {
    search.count.mockResolvedValue(0);
    const result = await sut.execute(new ReplayJobsCommand(admin, filter, false, 1000, charge));
    expect(result).toEqual({ matched: 0, replayed: 0, dryRun: false, jobIds: [] });
    expect(search.oldestIds).not.toHaveBeenCalled();
  });
});
