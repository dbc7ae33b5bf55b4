import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ci-pipeline', maxLength: 100 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name: string;
}

export class ApiKeyResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'ci-pipeline' }) name: string;
  @ApiProperty({ description: 'The first characters of the key.', example: 'ck_3q2-7wJm' }) prefix: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
}

export class ApiKeyCreatedResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'ci-pipeline' }) name: string;
  @ApiProperty({ example: 'ck_3q2-7wJm' }) prefix: string;
  @ApiProperty({ description: 'The key itself: shown once, store it now.', example: 'ck_3q2-7wJm...' })
  key: string;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
}
