import { once } from 'node:events';
import PDFDocument from 'pdfkit';
import { cellText, columnsOf } from '../table-columns';
import type { GenerateReportPayload } from './generate-report.payload';

export const MAX_REPORT_COLUMNS = 12;
const ROW_HEIGHT = 18;
const FONT_SIZE = 9;

/**
 * An A4 PDF: title, month, a table of the rows (header repeated on each page) and "Page n of m" footers.
 * Plain code, run in a job thread (see JobThreadPool).
 */
export async function renderReport({ title, month, rows = [] }: GenerateReportPayload) {
  const doc = new PDFDocument({ size: 'A4', margin: 50, bufferPages: true, info: { Title: title } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(doc, 'end');

  doc.font('Helvetica-Bold').fontSize(20).text(title);
  doc.font('Helvetica').fontSize(11).fillColor('#555555');
  doc.text(month ? `Month: ${monthName(month)}` : `Generated ${new Date().toISOString().slice(0, 10)}`);
  doc.fillColor('black').moveDown();

  const allColumns = columnsOf(rows);
  const columns = allColumns.slice(0, MAX_REPORT_COLUMNS);
  if (rows.length === 0) doc.fontSize(11).text('No rows.');
  else table(doc, columns, rows);

  const pages = footers(doc);
  doc.end();
  await ended;
  return { data: Buffer.concat(chunks), pages, columns: allColumns.length };
}

function table(doc: PDFKit.PDFDocument, columns: string[], rows: object[]) {
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const cellWidth = width / columns.length;
  let y = doc.y;

  const drawRow = (cells: string[], header: boolean) => {
    if (header) doc.rect(left, y, width, ROW_HEIGHT).fill('#eeeeee');
    doc
      .fillColor('black')
      .font(header ? 'Helvetica-Bold' : 'Helvetica')
      .fontSize(FONT_SIZE);
    cells.forEach((cell, i) =>
      doc.text(cell, left + i * cellWidth + 4, y + 5, {
        width: cellWidth - 8,
        height: FONT_SIZE,
        ellipsis: true,
      }),
    );
    y += ROW_HEIGHT;
    doc
      .moveTo(left, y)
      .lineTo(left + width, y)
      .lineWidth(0.5)
      .strokeColor('#cccccc')
      .stroke();
  };

  drawRow(columns, true);
  for (const row of rows) {
    if (y + ROW_HEIGHT > doc.page.height - doc.page.margins.bottom) {
      doc.addPage();
      y = doc.page.margins.top;
      drawRow(columns, true);
    }
    const values = row as Record<string, unknown>;
    drawRow(
      columns.map((column) => cellText(values[column])),
      false,
    );
  }
  doc.x = left;
  doc.y = y + ROW_HEIGHT;
}

function monthName(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number);
  const name = new Date(Date.UTC(year, monthNumber - 1, 1)).toLocaleString('en-US', {
    month: 'long',
    timeZone: 'UTC',
  });
  return `${name} ${year}`;
}

/** Writes "Page n of m" on every page; returns m. */
function footers(doc: PDFKit.PDFDocument): number {
  const { start, count } = doc.bufferedPageRange();
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i);
    // Writing inside the bottom margin would make pdfkit start a new page, so lift the margin meanwhile.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font('Helvetica')
      .fontSize(8)
      .fillColor('#777777')
      .text(`Page ${i + 1} of ${count}`, doc.page.margins.left, doc.page.height - 35, {
        width: doc.page.width - doc.page.margins.left - doc.page.margins.right,
        align: 'center',
        lineBreak: false,
      });
    doc.page.margins.bottom = bottom;
  }
  return count;
}
