import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';

export class GenerateReportPayload {
  @ApiProperty({
    description: 'Printed at the top of the first page.',
    example: 'Monthly sales',
    maxLength: 200,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  title: string;

  @ApiPropertyOptional({
    description: 'The month the report covers, as YYYY-MM; printed under the title.',
    example: '2026-04',
    pattern: '^\\d{4}-(0[1-9]|1[0-2])$',
  })
  @IsOptional()
  @Matches(/^\d{4}-(0[1-9]|1[0-2])$/, { message: 'month must be a month as YYYY-MM' })
  month?: string;

  @ApiPropertyOptional({
    description:
      "Table rows. The columns are the union of the rows' keys in first-seen order (the first 12 are shown); " +
      'nested values are printed as JSON. The table continues over as many pages as it needs.',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    maxItems: 10_000,
    example: [
      { region: 'North', orders: 120, revenue: 10400.5 },
      { region: 'South', orders: 98, revenue: 8710 },
    ],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsObject({ each: true, message: 'each value in rows must be an object' })
  rows?: Record<string, unknown>[];
}
