import { ApiProperty } from '@nestjs/swagger';
import type { AuthUser } from '../auth-user';
import { ROLES } from '../entities/user.entity';

export class UserResponseDto implements AuthUser {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'ada@example.com' }) email: string;
  @ApiProperty({ enum: ROLES, enumName: 'Role', example: 'user' }) role: (typeof ROLES)[number];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
}

export class RegisteredUserResponseDto extends UserResponseDto {
  @ApiProperty({ description: 'A first API key, shown only now.', example: 'ck_3q2-7wJm...' }) apiKey: string;
  @ApiProperty({
    description: 'The webhook signing secret.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  webhookSecret: string;
}

export class TokenPairResponseDto {
  @ApiProperty({ description: 'JWT access token.' }) accessToken: string;
  @ApiProperty({ description: 'Refresh token: single use, rotated by /api/auth/refresh.' })
  refreshToken: string;
  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' }) tokenType: 'Bearer';
  @ApiProperty({ description: 'Access token lifetime in seconds.', example: 900 }) expiresIn: number;
}

export class WebhookSecretResponseDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }) webhookSecret: string;
}
