import { Command } from '@nestjs/cqrs';
import type { UpdateUserLimitsDto, UserLimitsResponseDto } from './update-user-limits.dto';

/** An admin sets a user's fair-share weight and/or concurrency cap. */
export class UpdateUserLimitsCommand extends Command<UserLimitsResponseDto> {
  constructor(
    readonly userId: string,
    readonly changes: UpdateUserLimitsDto,
  ) {
    super();
  }
}
