import { Command } from '@nestjs/cqrs';

/** Makes sure an admin with this email exists (created with this password when missing). */
export class EnsureAdminCommand extends Command<{ created: boolean }> {
  constructor(
    readonly email: string,
    readonly password: string,
  ) {
    super();
  }
}
