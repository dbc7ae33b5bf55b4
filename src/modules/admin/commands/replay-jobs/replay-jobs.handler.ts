import { Logger } from '@nestjs/common';
import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AppError } from '@app/common/errors/app-error';
import type { AuthUser } from '../../../auth/auth-user';
import { RetryJobCommand } from '../../../jobs/commands/retry-job/retry-job.command';
import { JobLogWriter } from '../../../jobs/job-log-writer';
import { JobSearch } from '../../../jobs/job-search';
import { ReplayJobsCommand, ReplayResult } from './replay-jobs.command';

/** Re-queues run this many at a time: quick for a thousand jobs, gentle on PostgreSQL and Redis. */
const CONCURRENCY = 10;

/**
 * Dead-letter replay: each job goes through the owner's retry (attempts, result and error reset, queued
 * again under its id), its log names the admin, and the process log says who replayed how many.
 */
@CommandHandler(ReplayJobsCommand)
export class ReplayJobsHandler implements ICommandHandler<ReplayJobsCommand> {
  private readonly logger = new Logger(ReplayJobsHandler.name);

  constructor(
    private readonly search: JobSearch,
    private readonly commands: CommandBus,
    private readonly logs: JobLogWriter,
  ) {}

  async execute({ admin, filter, dryRun, limit, charge }: ReplayJobsCommand): Promise<ReplayResult> {
    const matched = await this.search.count(filter);
    if (dryRun) return { matched, replayed: 0, dryRun: true };
    const ids = matched > 0 ? await this.search.oldestIds(filter, limit) : [];
    // Before any job moves: a replay bigger than the quota left is refused whole (429).
    await charge.take(ids.length);
    const jobIds: string[] = [];
    try {
      for (let i = 0; i < ids.length; i += CONCURRENCY) {
        const batch = ids.slice(i, i + CONCURRENCY);
        const settled = await Promise.allSettled(batch.map((id) => this.replay(id, admin)));
        jobIds.push(...batch.filter((_, k) => settled[k].status === 'fulfilled' && settled[k].value));
        const failed = settled.find((outcome) => outcome.status === 'rejected');
        if (failed) throw failed.reason;
      }
      await charge.refund(ids.length - jobIds.length);
    } catch (error) {
      // The jobs replayed so far stay counted; the rest is given back with the error answer.
      charge.keep(jobIds.length);
      this.logger.warn(
        { err: error, adminId: admin.id, replayed: jobIds.length, filter },
        `Replay by admin ${admin.email} stopped after ${jobIds.length} job(s)`,
      );
      throw error;
    }
    this.logger.log(
      { adminId: admin.id, matched, replayed: jobIds.length, filter },
      `Admin ${admin.email} replayed ${jobIds.length} job(s)`,
    );
    return { matched, replayed: jobIds.length, dryRun: false, jobIds };
  }

  /** False for a job that left the dead-letter set since it was counted (its owner retried it). */
  private async replay(jobId: string, admin: AuthUser): Promise<boolean> {
    try {
      await this.commands.execute(new RetryJobCommand(null, jobId, 'replay'));
    } catch (error) {
      if (error instanceof AppError && ['INVALID_OPERATION', 'JOB_NOT_FOUND'].includes(error.code))
        return false;
      throw error;
    }
    await this.logs.append(jobId, 'info', `Replayed by admin ${admin.email}`);
    return true;
  }
}
