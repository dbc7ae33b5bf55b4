import { ApiProperty } from '@nestjs/swagger';
import { QUEUE_STATES, type JobQueueState, type QueueState } from '../queue-position/job-queue-state';

/** The OpenAPI description of JobQueueState: why a PENDING job has not started, computed on every read. */
export class JobQueueStateDto implements JobQueueState {
  @ApiProperty({
    enum: QUEUE_STATES,
    enumName: 'JobQueueStateName',
    example: 'waiting',
    description:
      '`paused`: an admin paused the queue (nothing starts); `retry-scheduled`: an attempt failed and the next ' +
      'one waits for `nextRetryAt`; `delayed`: `runAt` is still ahead; `held`: the owner already runs as many ' +
      'jobs as their concurrency limit allows; `waiting`: due, waiting for a worker.',
  })
  state: QueueState;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 12,
    description:
      "Jobs (every tenant's) expected to start before this one: PENDING jobs of a higher priority class due by " +
      'the time this one is, plus those of its class that entered the queue before it. An estimate: jobs that ' +
      'become due later, or fair sharing between tenants, can change it.',
  })
  ahead: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 13,
    description: 'Place in line from 1: `ahead + 1`.',
  })
  position: number;

  @ApiProperty({ example: 'Waiting: 12 jobs are ahead of it.', description: 'One sentence saying why.' })
  reason: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-12-04T09:00:12.000Z',
    description:
      'now + position × 60 s / (jobs whose latest attempt started in the last 60 s); past 100 such starts, ' +
      'position × (the time the latest 100 took) / 100. Never before a delayed or retry-scheduled job’s own ' +
      'time, which it is when nothing started lately. Null when unknown: no start in the last minute, a ' +
      'paused queue, a held job.',
  })
  estimatedStartAt: string | null;
}
