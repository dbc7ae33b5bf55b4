import { stringify } from 'csv-stringify/sync';
import { cellText, columnsOf } from '../table-columns';
import type { CsvExportPayload } from './csv-export.payload';

/** The CSV of a csv-export payload; plain code, run in a job thread (see JobThreadPool). */
export function exportCsv({ data, columns = columnsOf(data) }: CsvExportPayload) {
  const records = [columns, ...data.map((row) => columns.map((column) => cellText(row[column])))];
  const csv = columns.length === 0 ? '' : stringify(records, { record_delimiter: 'windows' });
  return { data: Buffer.from(csv, 'utf8'), rows: data.length, columns: columns.length };
}
