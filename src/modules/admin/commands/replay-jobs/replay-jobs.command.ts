import { Command } from '@nestjs/cqrs';
import type { AuthUser } from '../../../auth/auth-user';
import type { ReplayableStatus } from '../../dto/replay-jobs.dto';
import type { JobFilter } from '../../../jobs/job-filter';

/** The admin's replay quota for this request (QuotaCharge): taken in jobs, all or none. */
export interface ReplayCharge {
  take(jobs: number): Promise<void>;
  keep(jobs: number): void;
  refund(jobs: number): Promise<void>;
}

export interface ReplayResult {
  matched: number;
  replayed: number;
  dryRun: boolean;
  /** Absent on a dry run. */
  jobIds?: string[];
}

/** Re-queues the (oldest `limit`) FAILED or CANCELLED jobs matching the filter; a dry run only counts. */
export class ReplayJobsCommand extends Command<ReplayResult> {
  constructor(
    readonly admin: AuthUser,
    readonly filter: JobFilter & { status: ReplayableStatus },
    readonly dryRun: boolean,
    readonly limit: number,
    readonly charge: ReplayCharge,
  ) {
    super();
  }
}
