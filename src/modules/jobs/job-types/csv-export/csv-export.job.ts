import { stringify } from 'csv-stringify/sync';
import { JobType, type JobContext, type JobRunner } from '../job-type';
import { cellText, columnsOf } from '../table-columns';
import { CsvExportPayload } from './csv-export.payload';

export interface CsvExportResult {
  artifactUrl: string;
  rows: number;
  bytes: number;
}

/** RFC 4180 CSV: a header row, CRLF line ends, fields quoted when they hold a comma, quote or line break. */
@JobType('csv-export', CsvExportPayload)
export class CsvExportJob implements JobRunner<CsvExportPayload, CsvExportResult> {
  async run(
    { data, columns = columnsOf(data) }: CsvExportPayload,
    context: JobContext,
  ): Promise<CsvExportResult> {
    const records = [columns, ...data.map((row) => columns.map((column) => cellText(row[column])))];
    const csv = columns.length === 0 ? '' : stringify(records, { record_delimiter: 'windows' });
    context.signal.throwIfAborted();
    const saved = await context.saveArtifact({
      data: Buffer.from(csv, 'utf8'),
      filename: 'export.csv',
      contentType: 'text/csv',
    });
    context.log(`Exported ${data.length} rows × ${columns.length} columns (${saved.bytes} bytes)`);
    return { artifactUrl: saved.url, rows: data.length, bytes: saved.bytes };
  }
}
