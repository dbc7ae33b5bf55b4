import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Piscina } from 'piscina';
import type { Env } from '../../../config/env';
import { PermanentJobError } from '../job-types/permanent-job-error';
import type { ThreadTaskName, ThreadTask, ThreadTaskResult } from './job-thread-tasks';

/** A thread's Buffer arrives as a plain Uint8Array (structured clone); same bytes, no copy. */
export const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** How long an idle thread is kept before it is ended (a new one starts with the next task). */
const IDLE_TIMEOUT_MS = 60_000;

/**
 * The compiled task file each thread loads. Under jest the app runs from TypeScript sources, which a thread
 * cannot load, so it takes the build's copy (e2e tests run after `npm run build`).
 */
function taskFile(): string {
  const here = join(__dirname, 'job-thread-tasks.js');
  return existsSync(here)
    ? here
    : join(process.cwd(), 'dist', relative(process.cwd(), __dirname), 'job-thread-tasks.js');
}

/**
 * The worker threads CPU-heavy job types run in (csv-export, generate-report), so the event loop keeps serving
 * while they work. Each attempt's AbortSignal goes with its task: a cancel or a timeout terminates the thread
 * running it. Each thread's heap is capped at JOB_MEMORY_LIMIT_MB; an attempt over it fails for good.
 * Started in worker and all processes only; QueueWorkers destroys it once the workers have stopped.
 */
@Injectable()
export class JobThreadPool implements OnModuleInit {
  private readonly logger = new Logger(JobThreadPool.name);
  private pool?: Piscina<ThreadTask, unknown>;
  private readonly memoryLimitMb: number;
  /** Threads ended because their task was aborted or ran out of memory (idle ones are not counted). */
  private terminated = 0;

  constructor(private readonly config: ConfigService<Env, true>) {
    this.memoryLimitMb = config.get('JOB_MEMORY_LIMIT_MB', { infer: true });
  }

  onModuleInit() {
    if (this.config.get('PROCESS_ROLE', { infer: true }) === 'api') return;
    const threads = this.config.get('JOB_THREADS', { infer: true });
    this.pool = new Piscina({
      filename: taskFile(),
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: IDLE_TIMEOUT_MS,
      resourceLimits: {
        maxOldGenerationSizeMb: this.memoryLimitMb,
        maxYoungGenerationSizeMb: Math.max(4, Math.ceil(this.memoryLimitMb / 8)),
      },
    });
    this.logger.log(`Job threads: up to ${threads}, ${this.memoryLimitMb} MB each`);
  }

  /** Runs one task in a thread; rejects with the signal's reason (and ends the thread) when it fires. */
  async run<Name extends ThreadTaskName>(
    name: Name,
    payload: ThreadTask<Name>['payload'],
    signal: AbortSignal,
  ): Promise<ThreadTaskResult<Name>> {
    if (!this.pool) throw new Error('Job threads run in worker processes only');
    signal.throwIfAborted();
    try {
      return (await this.pool.run({ name, payload }, { signal })) as ThreadTaskResult<Name>;
    } catch (error) {
      if (signal.aborted) {
        this.terminated++;
        throw signal.reason;
      }
      if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        this.terminated++;
        throw new PermanentJobError(`Job exceeded its memory limit of ${this.memoryLimitMb} MB`);
      }
      throw error;
    }
  }

  /** For tests and the benchmark: live threads, and threads ended by an abort or a memory limit. */
  stats() {
    return { threads: this.pool?.threads.length ?? 0, terminated: this.terminated };
  }

  async destroy() {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}
