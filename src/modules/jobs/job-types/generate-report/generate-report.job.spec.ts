import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePdf } from '@app/testing/parse-pdf';
import { testingContext, type TestingContext } from '@app/testing/job-context';
import { inlineThreadPool } from '@app/testing/inline-thread-pool';
import { GenerateReportJob } from './generate-report.job';

describe(GenerateReportJob.name, () => {
  const handler = new GenerateReportJob(inlineThreadPool());
  let t: TestingContext;

  beforeEach(() => (t = testingContext()));
  afterEach(() => t.cleanup());

  const savedPdf = () => readFileSync(join(t.store.root, t.artifacts[0].path));

  it('produces a multi-page PDF with the title, the month, the table and page numbers', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({
      region: `Region ${i + 1}`,
      orders: i * 3,
      meta: { tag: `t${i}` },
    }));
    const result = await handler.run({ title: 'Quarterly Sales Report', month: '2026-04', rows }, t.context);

    expect(t.artifacts).toEqual([
      { path: `${t.context.jobId}/report.pdf`, bytes: result.bytes, contentType: 'application/pdf' },
    ]);
    expect(result.reportUrl).toBe(`/api/jobs/${t.context.jobId}/artifact`);
    const pdf = savedPdf();
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBe(result.bytes);

    const parsed = await parsePdf(pdf);
    expect(result.pages).toBeGreaterThan(1);
    expect(parsed.pages).toBe(result.pages);
    expect(parsed.text).toContain('Quarterly Sales Report');
    expect(parsed.text).toContain('Month: April 2026');
    expect(parsed.text).toContain('Region 1');
    expect(parsed.text).toContain('Region 120');
    expect(parsed.text).toContain('{"tag":"t7"}');
    expect(parsed.text).toContain(`Page 1 of ${result.pages}`);
    expect(parsed.text).toContain(`Page ${result.pages} of ${result.pages}`);
    expect(parsed.text.match(/region/g)?.length).toBe(result.pages); // the header row on every page

    expect(t.progress.length).toBeGreaterThan(0);
    expect(t.progress).toEqual([...t.progress].sort((a, b) => a - b));
  });

  it('makes a one-page report without rows', async () => {
    const result = await handler.run({ title: 'Empty' }, t.context);
    expect(result.pages).toBe(1);
    const parsed = await parsePdf(savedPdf());
    expect(parsed.text).toContain('Empty');
    expect(parsed.text).toContain('No rows.');
    expect(parsed.text).toContain('Page 1 of 1');
  });

  it('stops when the signal fires', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ n: i }));
    t.controller.abort(new Error('Job cancelled'));
    await expect(handler.run({ title: 'Big', rows }, t.context)).rejects.toThrow('Job cancelled');
    expect(t.artifacts).toEqual([]);
  });
});
