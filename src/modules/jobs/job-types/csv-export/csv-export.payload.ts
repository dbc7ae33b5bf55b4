import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { BoundedTable, UniqueItems } from '../payload-bounds';

/** Bounds of one export, checked at submission before anything that grows with the input. */
export const CSV_MAX_ROWS = 100_000;
/** Columns given, or distinct keys across the rows when they are not. */
export const CSV_MAX_COLUMNS = 1000;
/** Rows × columns: what the export's time and size grow with. */
export const CSV_MAX_CELLS = 5_000_000;

export class CsvExportPayload {
  @ApiProperty({
    description:
      'The records, one CSV row each. Nested objects and arrays are written as JSON; null and missing as empty. ' +
      `At most ${CSV_MAX_COLUMNS} columns (the distinct keys of all rows, when columns is not given) and ` +
      `${CSV_MAX_CELLS} cells (rows × columns).`,
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    maxItems: CSV_MAX_ROWS,
    example: [
      { name: 'Ada', email: 'ada@example.com', tags: ['admin'] },
      { name: 'Grace, Admiral', email: 'grace@example.com' },
    ],
  })
  @IsArray()
  @ArrayMaxSize(CSV_MAX_ROWS)
  @IsObject({ each: true, message: 'each value in data must be an object' })
  @BoundedTable({ maxRows: CSV_MAX_ROWS, maxColumns: CSV_MAX_COLUMNS, maxCells: CSV_MAX_CELLS })
  data: Record<string, unknown>[];

  @ApiPropertyOptional({
    description:
      'Columns to write, in this order (also the header row). Default: every key, in first-seen order.',
    type: [String],
    example: ['name', 'email'],
    maxItems: CSV_MAX_COLUMNS,
    uniqueItems: true,
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(CSV_MAX_COLUMNS)
  @UniqueItems(CSV_MAX_COLUMNS)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(200, { each: true })
  columns?: string[];
}
