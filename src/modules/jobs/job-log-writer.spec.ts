import { Logger } from '@nestjs/common';
import { fake } from '@app/testing/fake';
import type { Repository } from 'typeorm';
import type { JobLogEntity } from './entities/job-log.entity';
import { JobLogWriter } from './job-log-writer';

describe(JobLogWriter.name, () => {
  /** Each insert waits until the test settles it. */
  let pending: { row: Partial<JobLogEntity>; resolve: () => void; reject: (e: Error) => void }[];
  const logs = {
    insert: jest.fn(
      (row: Partial<JobLogEntity>) =>
        new Promise<void>((resolve, reject) => pending.push({ row, resolve, reject })),
    ),
  };
  const sut = new JobLogWriter(fake<Repository<JobLogEntity>>(logs));
  const inserted = () => logs.insert.mock.calls.map(([row]) => `${row.jobId}:${row.message}`);
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());
  beforeEach(() => {
    pending = [];
    logs.insert.mockClear();
  });

  it('inserts the lines of one job one after another, other jobs alongside', async () => {
    void sut.append('a', 'info', 'a1');
    void sut.append('a', 'warn', 'a2');
    void sut.append('b', 'info', 'b1');
    const third = sut.append('a', 'error', 'a3');
    await tick();
    expect(inserted()).toEqual(['a:a1', 'b:b1']);
    pending[1].resolve(); // b1 before a1: does not let a2 jump ahead
    await tick();
    expect(inserted()).toEqual(['a:a1', 'b:b1']);
    pending[0].resolve();
    await tick();
    expect(inserted()).toEqual(['a:a1', 'b:b1', 'a:a2']);
    expect(logs.insert).toHaveBeenLastCalledWith({ jobId: 'a', level: 'warn', message: 'a2' });
    pending[2].resolve();
    await tick();
    pending[3].resolve();
    await third;
    expect(inserted()).toEqual(['a:a1', 'b:b1', 'a:a2', 'a:a3']);
  });

  it('flush waits for every line appended so far', async () => {
    void sut.append('a', 'info', '1');
    void sut.append('a', 'info', '2');
    let flushed = false;
    const flush = sut.flush('a').then(() => (flushed = true));
    await tick();
    pending[0].resolve();
    await tick();
    expect(flushed).toBe(false);
    pending[1].resolve();
    await flush;
    expect(flushed).toBe(true);
    await expect(sut.flush('nothing-written')).resolves.toBeUndefined();
  });

  it('a failed insert neither rejects append nor blocks later lines', async () => {
    const first = sut.append('a', 'info', '1');
    const second = sut.append('a', 'info', '2');
    await tick();
    pending[0].reject(new Error('db down'));
    await expect(first).resolves.toBeUndefined();
    await tick();
    expect(inserted()).toEqual(['a:1', 'a:2']);
    pending[1].resolve();
    await expect(second).resolves.toBeUndefined();
  });

  it('keeps at most 10 000 characters of a line', async () => {
    const line = sut.append('a', 'info', 'x'.repeat(20_000));
    await tick();
    pending[0].resolve();
    await line;
    expect(logs.insert.mock.calls[0][0].message).toHaveLength(10_000);
  });
});
