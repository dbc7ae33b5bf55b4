import { Logger } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { UserDeletedEvent } from '../../auth/events/user-deleted.event';
import { ArtifactStore } from '../artifacts/artifact-store';
import { JobCache } from '../job-cache';

/** Folders removed at a time. */
const BATCH = 100;

/** What outlives a deleted user's job rows: their cached views and their files on disk. */
@EventsHandler(UserDeletedEvent)
export class RemoveDeletedUserJobsHandler implements IEventHandler<UserDeletedEvent> {
  private readonly logger = new Logger(RemoveDeletedUserJobsHandler.name);

  constructor(
    private readonly cache: JobCache,
    private readonly artifacts: ArtifactStore,
  ) {}

  async handle({ userId, jobIds }: UserDeletedEvent) {
    if (jobIds.length === 0) return;
    await this.cache
      .invalidate(...jobIds)
      .catch((error: unknown) => this.logger.warn({ err: error, userId }, 'Deleted jobs not uncached'));
    let failed = 0;
    for (let start = 0; start < jobIds.length; start += BATCH) {
      const removed = await Promise.allSettled(
        jobIds.slice(start, start + BATCH).map((id) => this.artifacts.remove(id)),
      );
      failed += removed.filter((outcome) => outcome.status === 'rejected').length;
    }
    if (failed > 0)
      this.logger.warn({ userId, failed }, "Some of a deleted user's job files were not removed");
  }
}
