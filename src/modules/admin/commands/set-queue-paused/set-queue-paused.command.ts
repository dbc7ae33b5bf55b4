import { Command } from '@nestjs/cqrs';

export interface QueuePausedResult {
  paused: boolean;
}

/** An admin pauses (no job starts; running ones finish) or resumes the jobs queue. */
export class SetQueuePausedCommand extends Command<QueuePausedResult> {
  constructor(readonly paused: boolean) {
    super();
  }
}
