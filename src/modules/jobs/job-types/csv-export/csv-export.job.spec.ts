import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { ArtifactTooLargeError } from '../../artifacts/artifact-limits';
import { testingContext, type TestingContext } from '@app/testing/job-context';
import { inlineThreadPool } from '@app/testing/inline-thread-pool';
import { CsvExportJob } from './csv-export.job';
import { exportCsv } from './csv-export.task';

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

  it('builds across many pieces exactly the CSV built whole', async () => {
    const data = Array.from({ length: 1000 }, (_, i) => ({ n: i, text: `row "${i}", ok` }));
    await handler.run({ data }, t.context);
    const whole = stringify([['n', 'text'], ...data.map((row) => [String(row.n), row.text])], {
      record_delimiter: 'windows',
    });
    expect(savedCsv()).toBe(whole);
  });

  it('stops once the CSV is past the limit, long before building it whole, and keeps nothing', async () => {
    const limited = testingContext({ maxArtifactBytes: 10_000 });
    // 100,000 rows of about 12 bytes: 1.2 MB in all.
    const data = Array.from({ length: 100_000 }, (_, i) => ({ value: `value-${i}` }));
    const error: unknown = await handler.run({ data }, limited.context).catch((e: unknown) => e);
    limited.cleanup();
    expect(error).toBeInstanceOf(ArtifactTooLargeError);
    expect((error as Error).message).toMatch(
      /^The artifact is over the 0 MB \(10000 bytes\) limit \(ARTIFACT_MAX_BYTES\): producing it stopped at 0 MB \((\d+) bytes\)/,
    );
    const stoppedAt = Number(/stopped at 0 MB \((\d+) bytes\)/.exec((error as Error).message)![1]);
    expect(stoppedAt).toBeGreaterThan(10_000);
    expect(stoppedAt).toBeLessThan(20_000); // within one piece of the limit, not the whole 1.2 MB
    expect(limited.artifacts).toEqual([]);
  });

  it('keeps a CSV of exactly the limit', () => {
    const csv = exportCsv({ data: [{ a: 'x' }], maxBytes: 'a\r\nx\r\n'.length });
    expect('data' in csv && csv.data.toString()).toBe('a\r\nx\r\n');
    expect(exportCsv({ data: [{ a: 'xy' }], maxBytes: 6 })).toEqual({ tooLarge: { bytes: 7 } });
  });

  it('writes just the header for no data with columns, and an empty file for no data at all', async () => {
    await handler.run({ data: [], columns: ['x', 'y'] }, t.context);
    expect(savedCsv()).toBe('x,y\r\n');
    const empty = await handler.run({ data: [] }, t.context);
    expect(empty).toMatchObject({ rows: 0, bytes: 0 });
  });
});
