import { asBuffer, JobThreadPool } from '../../job-threads/job-thread-pool';
import { JobType, type JobContext, type JobRunner } from '../job-type';
import { GenerateReportPayload } from './generate-report.payload';
import { MAX_REPORT_COLUMNS } from './generate-report.task';

export interface GenerateReportResult {
  reportUrl: string;
  bytes: number;
  pages: number;
}

/**
 * An A4 PDF: title, month, a table of the rows (header repeated on each page) and "Page n of m" footers.
 * Rendered in a job thread (renderReport); the artifact is saved here.
 */
@JobType('generate-report', GenerateReportPayload)
export class GenerateReportJob implements JobRunner<GenerateReportPayload, GenerateReportResult> {
  constructor(private readonly threads: JobThreadPool) {}

  async run(payload: GenerateReportPayload, context: JobContext): Promise<GenerateReportResult> {
    context.progress(5);
    const report = await this.threads.run('generate-report', payload, context.signal);
    context.signal.throwIfAborted();
    if (report.columns > MAX_REPORT_COLUMNS)
      context.log(`Showing the first ${MAX_REPORT_COLUMNS} of ${report.columns} columns`, 'warn');
    context.progress(95);
    const saved = await context.saveArtifact({
      data: asBuffer(report.data),
      filename: 'report.pdf',
      contentType: 'application/pdf',
    });
    const rows = payload.rows?.length ?? 0;
    context.log(`Report of ${rows} rows on ${report.pages} pages (${saved.bytes} bytes)`);
    return { reportUrl: saved.url, bytes: saved.bytes, pages: report.pages };
  }
}
