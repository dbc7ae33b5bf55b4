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

  beforeEach(() => {
    search = {
      count: jest.fn().mockResolvedValue(3),
      oldestIds: jest.fn().mockResolvedValue(['j1', 'j2', 'j3']),
    };
    commands = { execute: jest.fn().mockResolvedValue({}) };
    logs = { append: jest.fn().mockResolvedValue(undefined) };
    sut = new ReplayJobsHandler(fake(search), fake(commands), fake(logs));
  });

  it('only counts on a dry run', async () => {
    const result = await sut.execute(new ReplayJobsCommand(admin, filter, true, 1000));
    expect(result).toEqual({ matched: 3, replayed: 0, dryRun: true });
    expect(search.count).toHaveBeenCalledWith(filter);
    expect(search.oldestIds).not.toHaveBeenCalled();
    expect(commands.execute).not.toHaveBeenCalled();
    expect(logs.append).not.toHaveBeenCalled();
  });

  it("retries the oldest `limit` matches as a replay and names the admin in each job's log", async () => {
    const result = await sut.execute(new ReplayJobsCommand(admin, filter, false, 3));
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
    const result = await sut.execute(new ReplayJobsCommand(admin, filter, false, 1000));
    expect(result).toEqual({ matched: 3, replayed: 2, dryRun: false, jobIds: ['j1', 'j3'] });
    expect(logs.append).not.toHaveBeenCalledWith('j2', expect.anything(), expect.anything());
  });

  it('stops at an unexpected error (a backing service down)', async () => {
    commands.execute.mockRejectedValueOnce(new Error('Connection is closed.'));
    await expect(sut.execute(new ReplayJobsCommand(admin, filter, false, 1000))).rejects.toThrow(
      'Connection is closed.',
    );
  });

  it('does not look for ids when nothing matches', async () => {
    search.count.mockResolvedValue(0);
    const result = await sut.execute(new ReplayJobsCommand(admin, filter, false, 1000));
    expect(result).toEqual({ matched: 0, replayed: 0, dryRun: false, jobIds: [] });
    expect(search.oldestIds).not.toHaveBeenCalled();
  });
});
