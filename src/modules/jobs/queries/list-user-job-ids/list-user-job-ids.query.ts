import { Query } from '@nestjs/cqrs';

/** The ids of every job of a user, in any status: what a user's deletion must clean up after. */
export class ListUserJobIdsQuery extends Query<string[]> {
  constructor(readonly userId: string) {
    super();
  }
}
