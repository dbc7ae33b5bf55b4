import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { UpdateUserLimitsCommand } from './update-user-limits.command';
import type { UserLimitsResponseDto } from './update-user-limits.dto';

const COLUMNS = `id, email, role, weight, max_concurrency AS "maxConcurrency"`;

/**
 * One statement on the auth module's users table, its two fair-sharing columns only (as the admin stats read
 * it). Every process sees the change within TENANT_LIMITS_CACHE_MS (5 s): jobs submitted after that get the
 * new weight, starts after that the new cap.
 */
@CommandHandler(UpdateUserLimitsCommand)
export class UpdateUserLimitsHandler implements ICommandHandler<UpdateUserLimitsCommand> {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async execute({ userId, changes }: UpdateUserLimitsCommand): Promise<UserLimitsResponseDto> {
    const set: string[] = [];
    const values: unknown[] = [userId];
    if (changes.weight !== undefined) set.push(`weight = $${values.push(changes.weight)}`);
    if (changes.maxConcurrency !== undefined)
      set.push(`max_concurrency = $${values.push(changes.maxConcurrency)}`);
    // Nothing to change: still a 404 for an unknown user, else the current values.
    const rows = await this.db.query<UserLimitsResponseDto[]>(
      set.length > 0
        ? `UPDATE users SET ${set.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`
        : `SELECT ${COLUMNS} FROM users WHERE id = $1`,
      values,
    );
    // TypeORM answers an UPDATE … RETURNING as [rows, count].
    const row = (Array.isArray(rows[0]) ? rows[0][0] : rows[0]) as UserLimitsResponseDto | undefined;
    if (!row) throw new AppError('NOT_FOUND', 'User not found');
    return row;
  }
}
