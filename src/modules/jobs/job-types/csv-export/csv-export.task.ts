import { stringify } from 'csv-stringify/sync';
import { cellText, columnsOf } from '../table-columns';
import type { CsvExportPayload } from './csv-export.payload';

/** Records stringified at a time: the export stops within one such piece of crossing its byte limit. */
const RECORDS_PER_PIECE = 256;

export type CsvExportTask = CsvExportPayload & {
  /** ARTIFACT_MAX_BYTES: past it the export stops and reports where. */
  maxBytes: number;
};

export type CsvExportOutput =
  | { data: Buffer; rows: number; columns: number }
  /** The CSV grew past maxBytes: `bytes` were produced when it stopped (the whole would be more). */
  | { tooLarge: { bytes: number } };

/**
 * The CSV of a csv-export payload, built piece by piece and counted as it grows, so an export over its limit
 * stops there instead of being built whole first. Plain code, run in a job thread (see JobThreadPool).
 */
export function exportCsv({ data, columns = columnsOf(data), maxBytes }: CsvExportTask): CsvExportOutput {
  const pieces: Buffer[] = [];
  let bytes = 0;
  /** False once the CSV is past maxBytes. */
  const add = (records: string[][]) => {
    const piece = Buffer.from(stringify(records, { record_delimiter: 'windows' }), 'utf8');
    pieces.push(piece);
    bytes += piece.length;
    return bytes <= maxBytes;
  };
  if (columns.length > 0) {
    let records = [columns];
    for (const row of data) {
      records.push(columns.map((column) => cellText(row[column])));
      if (records.length < RECORDS_PER_PIECE) continue;
      if (!add(records)) return { tooLarge: { bytes } };
      records = [];
    }
    if (records.length > 0 && !add(records)) return { tooLarge: { bytes } };
  }
  return { data: Buffer.concat(pieces, bytes), rows: data.length, columns: columns.length };
}
