import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsNumber } from 'class-validator';

export class DataProcessingPayload {
  @ApiProperty({
    description: '1 to 100 000 finite numbers.',
    type: [Number],
    minItems: 1,
    maxItems: 100_000,
    example: [4, 8, 15, 16, 23, 42],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100_000)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { each: true })
  numbers: number[];
}
