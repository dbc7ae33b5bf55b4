import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';

export class CsvExportPayload {
  @ApiProperty({
    description:
      'The records, one CSV row each. Nested objects and arrays are written as JSON; null and missing as empty.',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    maxItems: 100_000,
    example: [
      { name: 'Ada', email: 'ada@example.com', tags: ['admin'] },
      { name: 'Grace, Admiral', email: 'grace@example.com' },
    ],
  })
  @IsArray()
  @ArrayMaxSize(100_000)
  @IsObject({ each: true, message: 'each value in data must be an object' })
  data: Record<string, unknown>[];

  @ApiPropertyOptional({
    description:
      'Columns to write, in this order (also the header row). Default: every key, in first-seen order.',
    type: [String],
    example: ['name', 'email'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ArrayUnique()
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(200, { each: true })
  columns?: string[];
}
