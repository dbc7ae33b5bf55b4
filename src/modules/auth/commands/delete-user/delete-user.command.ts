import { Command } from '@nestjs/cqrs';

/** An admin deletes a user with everything the user owns. */
export class DeleteUserCommand extends Command<void> {
  constructor(
    readonly adminId: string,
    readonly userId: string,
  ) {
    super();
  }
}
