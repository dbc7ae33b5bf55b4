import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';
import { ROLES, type Role } from '../../../auth/entities/user.entity';

export const MAX_WEIGHT = 10;

export class UpdateUserLimitsDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_WEIGHT,
    description: "Share of job starts relative to other users': 2 gets twice a weight-1 user's share.",
    example: 2,
  })
  // Absent leaves it; null is refused (there is no "default" weight other than 1).
  @ValidateIf((dto: UpdateUserLimitsDto) => dto.weight !== undefined)
  @IsInt({ message: `weight must be an integer from 1 to ${MAX_WEIGHT}` })
  @Min(1, { message: `weight must be an integer from 1 to ${MAX_WEIGHT}` })
  @Max(MAX_WEIGHT, { message: `weight must be an integer from 1 to ${MAX_WEIGHT}` })
  weight?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    nullable: true,
    description:
      "Jobs of this user running at once at most, across all workers; null goes back to USER_MAX_CONCURRENCY's.",
    example: 3,
  })
  @ValidateIf((dto: UpdateUserLimitsDto) => dto.maxConcurrency !== undefined && dto.maxConcurrency !== null)
  @IsInt({ message: 'maxConcurrency must be an integer of at least 1, or null' })
  @Min(1, { message: 'maxConcurrency must be an integer of at least 1, or null' })
  @Max(100_000, { message: 'maxConcurrency must be at most 100000' })
  maxConcurrency?: number | null;
}

export class UserLimitsResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ada@example.com' })
  email: string;

  @ApiProperty({ enum: ROLES, example: 'user' })
  role: Role;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_WEIGHT, example: 2 })
  weight: number;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: "The user's own cap; null: USER_MAX_CONCURRENCY applies.",
    example: 3,
  })
  maxConcurrency: number | null;
}
