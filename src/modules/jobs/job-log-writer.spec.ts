import { Logger } from '@nestjs/common';
import { fake } from '@app/testing/fake';
import { QueryFailedError, type Repository } from 'typeorm';
import type { JobLogEntity } from './entities/job-log.entity';
import { JobLogWriter } from './job-log-writer';

describe(JobLogWriter.name, () => {
  type Row = Pick<JobLogEntity, 'jobId' | 'level' | 'message'>;
  /** Each INSERT waits until the test settles it. */
  let pending: { rows: Row[]; resolve: () => void; reject: (e: Error) => void }[];
  const logs = {
    insert: jest.fn(
      (rows: Row[]) => new Promise<void>((resolve, reject) => pending.push({ rows, resolve, reject })),
    ),
  };
  let sut: JobLogWriter;
  const batches = () => logs.insert.mock.calls.map(([rows]) => rows.map((r) => `${r.jobId}:${r.message}`));
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());
  beforeEach(() => {
    pending = [];
    logs.insert.mockClear();
    sut = new JobLogWriter(fake<Repository<JobLogEntity>>(logs));
  });

  it('writes lines appended together in one INSERT, in order', async () => {
    const done = [
      sut.append('a', 'info', 'a1'),
      sut.append('b', 'warn', 'b1'),
      sut.append('a', 'error', 'a2'),
    ];
    await tick();
    expect(batches()).toEqual([['a:a1', 'b:b1', 'a:a2']]);
    expect(logs.insert.mock.calls[0][0][1]).toEqual({ jobId: 'b', level: 'warn', message: 'b1' });
    pending[0].resolve();
    await Promise.all(done);
  });

  it('batches lines appended during a write into the next one, never two writes at once', async () => {
    const first = sut.append('a', 'info', '1');
    await tick();
    const second = sut.append('a', 'info', '2');
    const third = sut.append('b', 'info', '3');
    await tick();
    expect(batches()).toEqual([['a:1']]); // the second batch waits for the first write
    let secondDone = false;
    void second.then(() => (secondDone = true));
    pending[0].resolve();
    await first;
    await tick();
    expect(batches()).toEqual([['a:1'], ['a:2', 'b:3']]);
    expect(secondDone).toBe(false);
    pending[1].resolve();
    await Promise.all([second, third]);
  });

  it('flush waits for every line appended so far', async () => {
    void sut.append('a', 'info', '1');
    let flushed = false;
    const flush = sut.flush('a').then(() => (flushed = true));
    await tick();
    expect(flushed).toBe(false);
    pending[0].resolve();
    await flush;
    expect(flushed).toBe(true);
    await expect(sut.flush('nothing-written')).resolves.toBeUndefined();
  });

  it('logs a failed write without rejecting, and later lines still go', async () => {
    const failed = sut.append('a', 'info', 'lost');
    await tick();
    pending[0].reject(new Error('database down'));
    await expect(failed).resolves.toBeUndefined();
    const later = sut.append('a', 'info', 'kept');
    await tick();
    pending[1].resolve();
    await later;
    expect(batches()).toEqual([['a:lost'], ['a:kept']]);
  });

  it('cuts a line to 10,000 characters and splits very large batches', async () => {
    const lines = Array.from({ length: 5001 }, (_, i) =>
      sut.append('a', 'info', i === 0 ? 'x'.repeat(20_000) : `${i}`),
    );
    await tick();
    expect(logs.insert.mock.calls[0][0]).toHaveLength(5000);
    expect(logs.insert.mock.calls[0][0][0].message).toHaveLength(10_000);
    pending[0].resolve();
    await tick();
    expect(logs.insert.mock.calls[1][0]).toHaveLength(1);
    pending[1].resolve();
    await Promise.all(lines);
  });

  it('drain writes lines appended while the previous batch was written', async () => {
    void sut.append('a', 'info', '1');
    await tick();
    const drained = sut.drain();
    void sut.append('a', 'info', '2');
    pending[0].resolve();
    await tick();
    pending[1].resolve();
    await drained;
    expect(batches()).toEqual([['a:1'], ['a:2']]);
  });

  it("writes the other jobs' lines of a batch when one job is gone (foreign key), each job's in order", async () => {
    jest.mocked(Logger.prototype.warn).mockClear();
    const fkViolation = Object.assign(new QueryFailedError('INSERT', [], new Error('fk')), {
      driverError: { code: '23503' },
    });
    const done = [
      sut.append('a', 'info', 'a1'),
      sut.append('gone', 'info', 'g1'),
      sut.append('a', 'info', 'a2'),
      sut.append('b', 'info', 'b1'),
    ];
    await tick();
    pending[0].reject(fkViolation);
    await tick();
    pending[1].resolve(); // a
    await tick();
    pending[2].reject(fkViolation); // gone
    await tick();
    pending[3].resolve(); // b
    await Promise.all(done);
    expect(batches()).toEqual([['a:a1', 'gone:g1', 'a:a2', 'b:b1'], ['a:a1', 'a:a2'], ['gone:g1'], ['b:b1']]);
    expect(Logger.prototype.warn).not.toHaveBeenCalled();
  });
});
