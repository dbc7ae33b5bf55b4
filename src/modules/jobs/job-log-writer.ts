import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { JobLogEntity } from './entities/job-log.entity';
import type { LogLevel } from './job-status';

/**
 * Appends job log lines in the order they were written: lines of one job are inserted one after another
 * (a chain per job), lines of different jobs concurrently. A failed insert is logged, never thrown: the
 * job log must not fail a job.
 */
@Injectable()
export class JobLogWriter {
  private readonly logger = new Logger(JobLogWriter.name);
  private readonly chains = new Map<string, Promise<void>>();

  append(jobId: string, level: LogLevel, message: string): Promise<void> {
    const previous = this.chains.get(jobId) ?? Promise.resolve();
    const next = previous
      .then(() => this.logs.insert({ jobId, level, message: message.slice(0, 10_000) }))
      .then(
        () => undefined,
        (error: unknown) => this.logger.warn({ err: error, jobId }, 'Could not write a job log line'),
      );
    this.chains.set(jobId, next);
    void next.then(() => {
      if (this.chains.get(jobId) === next) this.chains.delete(jobId);
    });
    return next;
  }

  /** Resolves once every line appended so far for the job is written. */
  flush(jobId: string): Promise<void> {
    return this.chains.get(jobId) ?? Promise.resolve();
  }

  /**
   * Shutdown: resolves once the lines of every job are written, including lines that writing others adds
   * (a status change's event may append a second line after its first). Bounded, so a handler that keeps
   * logging cannot hold the process up.
   */
  async drain(rounds = 10): Promise<void> {
    for (let i = 0; i < rounds && this.chains.size > 0; i++) await Promise.all(this.chains.values());
  }

  constructor(@InjectRepository(JobLogEntity) private readonly logs: Repository<JobLogEntity>) {}
}
