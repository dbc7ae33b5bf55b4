import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { JobLogEntity } from './entities/job-log.entity';
import type { LogLevel } from './job-status';

type Line = Pick<JobLogEntity, 'jobId' | 'level' | 'message'>;

/** Rows per INSERT: PostgreSQL takes at most 65,535 parameters in one statement (3 per line here). */
const MAX_ROWS = 5000;
const MAX_MESSAGE = 10_000;

/**
 * Job log lines, written in batches: lines appended while a write is in flight go together in the next
 * multi-row INSERT, one write at a time, so every line keeps its place (the `seq` column follows the order
 * of appends) and a busy worker pays one round trip per batch rather than per line. A failed write is
 * logged, never thrown: the job log must not fail a job.
 */
@Injectable()
export class JobLogWriter {
  private readonly logger = new Logger(JobLogWriter.name);
  private buffer: Line[] = [];
  /** The last write queued (in flight or waiting for the one before it). */
  private tail: Promise<void> = Promise.resolve();
  /** The write that will take lines appended now, if it has not started yet. */
  private next?: Promise<void>;
  /** Per job, the write that holds its last line, until written. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(@InjectRepository(JobLogEntity) private readonly logs: Repository<JobLogEntity>) {}

  /** Resolves once the line is written (or its write failed and was logged). */
  append(jobId: string, level: LogLevel, message: string): Promise<void> {
    this.buffer.push({ jobId, level, message: message.slice(0, MAX_MESSAGE) });
    if (!this.next) {
      this.next = this.tail.then(() => {
        this.next = undefined;
        return this.write(this.buffer.splice(0));
      });
      this.tail = this.next;
    }
    const written = this.next;
    this.pending.set(jobId, written);
    void written.then(() => {
      if (this.pending.get(jobId) === written) this.pending.delete(jobId);
    });
    return written;
  }

  /** Resolves once every line appended so far for the job is written (at once when it has none pending). */
  flush(jobId: string): Promise<void> {
    return this.pending.get(jobId) ?? Promise.resolve();
  }

  /** Shutdown: waits until lines appended while writing are written too (bounded). */
  async drain(rounds = 10): Promise<void> {
    for (let i = 0; i < rounds && (this.buffer.length > 0 || this.next); i++) await this.tail;
    await this.tail;
  }

  private async write(lines: Line[]) {
    for (let start = 0; start < lines.length; start += MAX_ROWS) {
      const rows = lines.slice(start, start + MAX_ROWS);
      await this.logs.insert(rows).catch(async (error: unknown) => {
        if (!isForeignKeyViolation(error)) return this.warn(error, rows);
        // A job of the batch is gone (its user was deleted while it ran): the other jobs keep their lines.
        const jobIds = [...new Set(rows.map((row) => row.jobId))];
        for (const jobRows of jobIds.map((id) => rows.filter((row) => row.jobId === id)))
          await this.logs
            .insert(jobRows)
            .catch((again: unknown) =>
              isForeignKeyViolation(again) ? undefined : this.warn(again, jobRows),
            );
      });
    }
  }

  private warn(error: unknown, rows: Line[]) {
    this.logger.warn(
      { err: error, jobIds: [...new Set(rows.map((r) => r.jobId))] },
      'Could not write job log lines',
    );
  }
}

const isForeignKeyViolation = (error: unknown) =>
  error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23503';
