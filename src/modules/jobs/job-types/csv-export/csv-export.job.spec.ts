import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { testingContext, type TestingContext } from '@app/testing/job-context';
import { inlineThreadPool } from '@app/testing/inline-thread-pool';
import { CsvExportJob } from './csv-export.job';

describe(CsvExportJob.name, () => {
  const handler = new CsvExportJob(inlineThreadPool());
  let t: TestingContext;

  beforeEach(() => (t = testingContext()));
  afterEach(() => t.cleanup());

  const savedCsv = () => readFileSync(join(t.store.root, t.artifacts[0].path), 'utf8');

  it('round-trips commas, quotes, line breaks, unicode and nested values', async () => {
    const data = [
      { name: 'Hopper, Grace', quote: 'She said "hi"', note: 'line one\nline two', city: 'Zürich 東京' },
      { name: 'Ada', extra: { nested: [1, 2] }, note: 'cr\r\nlf', flag: true, n: 3.5, none: null },
    ];
    const result = await handler.run({ data }, t.context);

    expect(result).toEqual({
      artifactUrl: `/api/jobs/${t.context.jobId}/artifact`,
      rows: 2,
      bytes: expect.any(Number),
    });
    const csv = savedCsv();
    expect(Buffer.byteLength(csv)).toBe(result.bytes);
    expect(t.artifacts[0]).toMatchObject({ path: `${t.context.jobId}/export.csv`, contentType: 'text/csv' });
    expect(csv.startsWith('name,quote,note,city,extra,flag,n,none\r\n')).toBe(true);

    const parsed: Record<string, string>[] = parse(csv, { columns: true });
    expect(parsed).toEqual([
      {
        name: 'Hopper, Grace',
        quote: 'She said "hi"',
        note: 'line one\nline two',
        city: 'Zürich 東京',
        extra: '',
        flag: '',
        n: '',
        none: '',
      },
      {
        name: 'Ada',
        quote: '',
        note: 'cr\r\nlf',
        city: '',
        extra: '{"nested":[1,2]}',
        flag: 'true',
        n: '3.5',
        none: '',
      },
    ]);
  });

  it('writes only the given columns, in their order', async () => {
    const data = [
      { a: 1, b: 2, c: 3 },
      { c: 6, a: 4 },
    ];
    const result = await handler.run({ data, columns: ['c', 'a', 'missing'] }, t.context);
    expect(result.rows).toBe(2);
    expect(savedCsv()).toBe('c,a,missing\r\n3,1,\r\n6,4,\r\n');
  });

  it('writes just the header for no data with columns, and an empty file for no data at all', async () => {
    await handler.run({ data: [], columns: ['x', 'y'] }, t.context);
    expect(savedCsv()).toBe('x,y\r\n');
    const empty = await handler.run({ data: [] }, t.context);
    expect(empty).toMatchObject({ rows: 0, bytes: 0 });
  });
});
