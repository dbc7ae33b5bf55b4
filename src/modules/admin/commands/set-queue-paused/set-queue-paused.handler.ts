import { Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { JobQueue } from '../../../jobs/job-queue';
import { QueuePausedResult, SetQueuePausedCommand } from './set-queue-paused.command';

/** BullMQ's queue-wide pause: every worker stops taking entries; submissions still queue. */
@CommandHandler(SetQueuePausedCommand)
export class SetQueuePausedHandler implements ICommandHandler<SetQueuePausedCommand> {
  private readonly logger = new Logger(SetQueuePausedHandler.name);

  constructor(private readonly queue: JobQueue) {}

  async execute({ paused }: SetQueuePausedCommand): Promise<QueuePausedResult> {
    if (paused) await this.queue.pause();
    else await this.queue.resume();
    this.logger.log(paused ? 'Jobs queue paused by an admin' : 'Jobs queue resumed by an admin');
    return { paused: await this.queue.isPaused() };
  }
}
