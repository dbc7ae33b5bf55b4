import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common/errors/app-error';
import { GroupCommit } from '@app/common/async/group-commit';
import { isBackendUnavailable } from '@app/common/http/error-response';
import { StorageUsage } from '../artifacts/storage-usage';
import { JobEntity } from '../entities/job.entity';
import { JobQueue } from '../job-queue';
import { JobStore, NewJob } from '../job-store';
import type { JobDraft } from './job-drafts';

interface Submission {
  drafts: JobDraft[];
  via: NewJob['via'];
}

/** Submissions (not rows) per shared statement at most: a batch request brings up to 100 rows. */
const MAX_SUBMISSIONS = 50;

/**
 * PostgreSQL is the record and the queue the trigger: rows are committed first (so a worker always finds
 * its row), then queued under their own ids (JobStore.create). If Redis refuses, nothing stays and the
 * caller gets 503.
 *
 * Submissions that arrive while another is being written share its next INSERT and queue add (GroupCommit):
 * under load a request pays a share of two round trips, not two. They succeed or fail together, which each
 * would have done alone too: their rows were validated, so what can fail is PostgreSQL or Redis. A submission
 * with an idempotency key goes alone, as its unique index may refuse it (and only it).
 */
@Injectable()
export class JobEnqueuer {
  private readonly shared = new GroupCommit<Submission, JobEntity[]>((all) => this.write(all), {
    maxBatch: MAX_SUBMISSIONS,
  });

  constructor(
    private readonly store: JobStore,
    private readonly queue: JobQueue,
    private readonly storage: StorageUsage,
  ) {}

  /** The drafts (one user's) as jobs; 403 STORAGE_QUOTA_EXCEEDED for file-keeping types at that user's quota. */
  async submit(drafts: JobDraft[], via: NewJob['via']): Promise<JobEntity[]> {
    // Here, where jobs are about to be made: an idempotent replay (which makes none) is not refused.
    if (drafts.length > 0)
      await this.storage.assertRoomFor(
        drafts[0].userId,
        drafts.map((draft) => draft.type),
      );
    const submission = { drafts, via };
    return drafts.some((draft) => draft.idempotencyKey)
      ? (await this.write([submission]))[0]
      : this.shared.submit(submission);
  }

  /** One INSERT (all rows or none) and one queue add for all the submissions; their jobs, each in order. */
  private async write(submissions: Submission[]): Promise<JobEntity[][]> {
    const rows = submissions.map(({ drafts, via }) =>
      drafts.map((draft) => ({ ...draft, id: randomUUID(), via })),
    );
    const created = await this.store.create(rows.flat(), (jobs) =>
      this.queue.enqueue(jobs).catch((error: unknown) => {
        if (!isBackendUnavailable(error)) throw error;
        throw new AppError(
          'SERVICE_UNAVAILABLE',
          'The job queue is unavailable. Nothing was submitted; try again shortly.',
        );
      }),
    );
    let next = 0;
    return rows.map((submitted) => created.slice(next, (next += submitted.length)));
  }
}
