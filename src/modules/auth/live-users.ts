import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CredentialRevocations } from './credential-revocations';
import { UserEntity } from './entities/user.entity';

/**
 * A user seen to exist is not asked about again for this long. A deletion (DeleteUserHandler) makes every
 * process forget the user at once, through CredentialRevocations; the cache only bounds what a deletion
 * made while a process was cut off from Redis can cost.
 */
const EXISTS_CACHE_MS = 2_000;
const MAX_CACHED = 10_000;

/**
 * Whether a user still exists, for the stateless JWT path: a deleted user's still-valid access token answers
 * 401 rather than reaching a handler (whose insert would fail on the foreign key). One primary-key lookup per
 * user per EXISTS_CACHE_MS per process; misses are never cached.
 */
@Injectable()
export class LiveUsers {
  private readonly seen = new Map<string, number>();

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    revocations: CredentialRevocations,
  ) {
    revocations.onRevoked(({ kind, id }) => {
      if (kind === 'user') this.forget(id);
    });
  }

  async exists(userId: string): Promise<boolean> {
    const until = this.seen.get(userId);
    if (until !== undefined && until > Date.now()) return true;
    const exists = await this.users.existsBy({ id: userId });
    if (!exists) this.seen.delete(userId);
    else {
      if (this.seen.size >= MAX_CACHED) this.seen.clear();
      this.seen.set(userId, Date.now() + EXISTS_CACHE_MS);
    }
    return exists;
  }

  forget(userId: string) {
    this.seen.delete(userId);
  }
}
