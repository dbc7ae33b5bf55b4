import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class SendEmailPayload {
  @ApiProperty({ description: 'One recipient address.', example: 'ada@example.com', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  to: string;

  @ApiProperty({ description: 'One line, no line breaks.', example: 'Your export is ready', maxLength: 255 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @Matches(/^[^\r\n]*$/, { message: 'subject must not contain line breaks' })
  subject: string;

  @ApiProperty({
    description: 'Plain-text body.',
    example: 'Hello Ada,\n\nyour export is ready.',
    maxLength: 500_000,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500_000)
  body: string;

  @ApiPropertyOptional({
    description: 'HTML alternative of the body; mail clients that show HTML show this instead.',
    example: '<p>Hello Ada,</p><p>your export is ready.</p>',
    maxLength: 500_000,
  })
  @IsOptional()
  @IsString()
  @MaxLength(500_000)
  html?: string;
}
