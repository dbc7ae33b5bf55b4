import { fake } from '@app/testing/fake';
import { JobCancelledEvent } from '../events/job-cancelled.event';
import { JobFailedEvent } from '../events/job-failed.event';
import { JobRetryScheduledEvent } from '../events/job-retry-scheduled.event';
import { JobStartedEvent } from '../events/job-started.event';
import { JobSubmittedEvent } from '../events/job-submitted.event';
import { JobSucceededEvent } from '../events/job-succeeded.event';
import type { JobLogWriter } from '../job-log-writer';
import type { JobView } from '../job-view';
import { AppendJobLogHandler } from './append-job-log.event-handler';

describe(AppendJobLogHandler.name, () => {
  const logs = { append: jest.fn() };
  const sut = new AppendJobLogHandler(fake<JobLogWriter>(logs));
  const job = fake<JobView>({
    id: 'j1',
    type: 'sleep',
    priority: 'high',
    attempts: 2,
    maxRetries: 3,
    error: 'boom',
    runAt: null,
    nextRetryAt: '2030-01-01T00:00:04.000Z',
  });
  const lines = () => logs.append.mock.calls.map(([id, level, message]) => [id, level, message] as unknown[]);

  beforeEach(() => jest.clearAllMocks());

  it.each([
    ['api', 'Job created (type sleep, priority high)'],
    ['batch', 'Job created in a batch (type sleep, priority high)'],
    ['retry', 'Job re-queued by its owner (attempts reset)'],
    ['replay', 'Job replayed by an admin (attempts reset)'],
  ] as const)('logs a submission via %s', async (via, line) => {
    await sut.handle(new JobSubmittedEvent(job, via));
    expect(lines()).toEqual([['j1', 'info', line]]);
  });

  it('names the schedule of a delayed job', async () => {
    await sut.handle(new JobSubmittedEvent({ ...job, runAt: '2030-01-01T00:00:00.000Z' }));
    expect(lines()).toEqual([
      ['j1', 'info', 'Job created (type sleep, priority high), scheduled for 2030-01-01T00:00:00.000Z'],
    ]);
  });

  it.each([
    [
      'JobStartedEvent',
      new JobStartedEvent(job),
      [['j1', 'info', 'Attempt 2 of 4 started (status PROCESSING)']],
    ],
    [
      'JobRetryScheduledEvent',
      new JobRetryScheduledEvent(job),
      [
        ['j1', 'warn', 'Attempt 2 of 4 failed: boom'],
        ['j1', 'info', 'Retry scheduled at 2030-01-01T00:00:04.000Z (status PENDING)'],
      ],
    ],
    [
      'JobSucceededEvent',
      new JobSucceededEvent(job),
      [['j1', 'info', 'Attempt 2 of 4 succeeded (status DONE)']],
    ],
    [
      'JobFailedEvent',
      new JobFailedEvent(job),
      [
        ['j1', 'error', 'Attempt 2 of 4 failed: boom'],
        ['j1', 'error', 'Job failed after 2 attempt(s) (status FAILED)'],
      ],
    ],
    ['JobCancelledEvent', new JobCancelledEvent(job), [['j1', 'warn', 'Job cancelled (status CANCELLED)']]],
  ])('logs %s', async (_name, event, expected) => {
    await sut.handle(event);
    expect(lines()).toEqual(expected);
  });
});
