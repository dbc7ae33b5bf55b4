import { ArtifactTooLargeError } from '../../artifacts/artifact-limits';
import { asBuffer, JobThreadPool } from '../../job-threads/job-thread-pool';
import { JobType, type JobContext, type JobRunner } from '../job-type';
import { CsvExportPayload } from './csv-export.payload';

export interface CsvExportResult {
  artifactUrl: string;
  rows: number;
  bytes: number;
}

/**
 * RFC 4180 CSV: a header row, CRLF line ends, fields quoted when they hold a comma, quote or line break.
 * Built in a job thread (exportCsv), which stops once the CSV is past ARTIFACT_MAX_BYTES; the artifact is saved
 * here.
 */
@JobType('csv-export', CsvExportPayload)
export class CsvExportJob implements JobRunner<CsvExportPayload, CsvExportResult> {
  constructor(private readonly threads: JobThreadPool) {}

  async run(payload: CsvExportPayload, context: JobContext): Promise<CsvExportResult> {
    const maxBytes = context.maxArtifactBytes;
    const csv = await this.threads.run('csv-export', { ...payload, maxBytes }, context.signal);
    context.signal.throwIfAborted();
    if ('tooLarge' in csv) throw new ArtifactTooLargeError(csv.tooLarge.bytes, maxBytes, { stoppedAt: true });
    const saved = await context.saveArtifact({
      data: asBuffer(csv.data),
      filename: 'export.csv',
      contentType: 'text/csv',
    });
    context.log(`Exported ${csv.rows} rows × ${csv.columns} columns (${saved.bytes} bytes)`);
    return { artifactUrl: saved.url, rows: csv.rows, bytes: saved.bytes };
  }
}
