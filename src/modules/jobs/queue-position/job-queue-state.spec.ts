import { describeQueueState, estimateStart, QueueStateInputs } from './job-queue-state';

describe(describeQueueState.name, () => {
  const now = new Date('2026-12-04T09:00:00.000Z');
  const later = (ms: number) => new Date(now.getTime() + ms).toISOString();
  const inputs = (overrides: Partial<QueueStateInputs> = {}, job: Partial<QueueStateInputs['job']> = {}) => ({
    job: { attempts: 0, maxRetries: 3, error: null, runAt: null, nextRetryAt: null, ...job },
    now,
    paused: false,
    ahead: 12,
    recentStarts: { count: 0, seconds: 60 },
    held: null,
    ...overrides,
  });

  it('says how many jobs are ahead of a waiting job, and its position after them', () => {
    expect(describeQueueState(inputs())).toEqual({
      state: 'waiting',
      ahead: 12,
      position: 13,
      reason: 'Waiting: 12 jobs are ahead of it.',
      estimatedStartAt: null,
    });
    expect(describeQueueState(inputs({ ahead: 1 })).reason).toBe('Waiting: 1 job is ahead of it.');
    expect(describeQueueState(inputs({ ahead: 0 }))).toMatchObject({
      position: 1,
      reason: 'Waiting: it is next in line.',
    });
  });

  it('treats a start or retry time already passed as due', () => {
    const past = inputs({}, { runAt: later(-1000), nextRetryAt: later(-1) });
    expect(describeQueueState(past).state).toBe('waiting');
  });

  it('names the exact time of a delayed job', () => {
    const state = describeQueueState(inputs({}, { runAt: later(3_600_000) }));
    expect(state).toMatchObject({
      state: 'delayed',
      reason: 'Scheduled for 2026-12-04T10:00:00.000Z.',
      estimatedStartAt: '2026-12-04T10:00:00.000Z',
    });
  });

  it('names the retry, its time and the last error of a retry-scheduled job', () => {
    const job = { attempts: 2, maxRetries: 3, nextRetryAt: later(12_000), error: 'connect ECONNREFUSED' };
    expect(describeQueueState(inputs({}, job))).toMatchObject({
      state: 'retry-scheduled',
      reason: 'Retry 2 of 3 at 2026-12-04T09:00:12.000Z after: connect ECONNREFUSED.',
      estimatedStartAt: '2026-12-04T09:00:12.000Z',
    });
  });

  it('keeps a long or multi-line error to one short line, without a doubled full stop', () => {
    const job = { attempts: 1, nextRetryAt: later(2000), error: `Timed out.\n${'x'.repeat(500)}` };
    const { reason } = describeQueueState(inputs({}, job));
    expect(reason).not.toContain('\n');
    expect(reason.length).toBeLessThan(300);
    expect(describeQueueState(inputs({}, { ...job, error: 'Timed out.' })).reason).toMatch(
      /after: Timed out\.$/,
    );
    expect(describeQueueState(inputs({}, { ...job, error: null })).reason).toMatch(
      /after: an unknown error\.$/,
    );
  });

  it('puts a paused queue before everything else, with no estimate', () => {
    for (const job of [{}, { runAt: later(1000) }, { nextRetryAt: later(1000), attempts: 1 }]) {
      const state = describeQueueState(
        inputs({ paused: true, recentStarts: { count: 60, seconds: 60 } }, job),
      );
      expect(state).toEqual({
        state: 'paused',
        ahead: 12,
        position: 13,
        reason: 'Paused: an admin paused the queue.',
        estimatedStartAt: null,
      });
    }
  });

  it("shows a due job held by its user's cap with the running count and the limit", () => {
    expect(describeQueueState(inputs({ held: { running: 3, limit: 3 } }))).toMatchObject({
      state: 'held',
      reason: 'Held: 3 of your jobs are running (your limit is 3).',
      estimatedStartAt: null,
    });
    expect(describeQueueState(inputs({ held: { running: 1, limit: 1 } })).reason).toBe(
      'Held: 1 of your jobs is running (your limit is 1).',
    );
    // Not due yet: its schedule is the reason, whatever the cap.
    const delayed = inputs({ held: { running: 3, limit: 3 } }, { runAt: later(5000) });
    expect(describeQueueState(delayed).state).toBe('delayed');
  });

  it('estimates the start of a waiting job from the recent start rate', () => {
    // 30 starts a minute: one every 2 s; position 13 → 26 s.
    const state = describeQueueState(inputs({ recentStarts: { count: 30, seconds: 60 } }));
    expect(state.estimatedStartAt).toBe('2026-12-04T09:00:26.000Z');
  });
});

describe(estimateStart.name, () => {
  const now = new Date('2026-12-04T09:00:00.000Z');

  it('is unknown without recent starts, unless the job has a time of its own', () => {
    expect(estimateStart(now, 5, { count: 0, seconds: 60 })).toBeNull();
    const at = new Date('2026-12-04T09:30:00.000Z');
    expect(estimateStart(now, 5, { count: 0, seconds: 60 }, at)).toEqual(at);
  });

  it('is position × the time per start after now', () => {
    expect(estimateStart(now, 1, { count: 100, seconds: 2 })).toEqual(new Date('2026-12-04T09:00:00.020Z'));
    expect(estimateStart(now, 500, { count: 100, seconds: 2 })).toEqual(new Date('2026-12-04T09:00:10.000Z'));
  });

  it('is the scheduled time unless the backlog ahead takes longer', () => {
    const soon = new Date('2026-12-04T09:00:05.000Z');
    expect(estimateStart(now, 1, { count: 60, seconds: 60 }, soon)).toEqual(soon);
    expect(estimateStart(now, 10, { count: 60, seconds: 60 }, soon)).toEqual(
      new Date('2026-12-04T09:00:10.000Z'),
    );
  });
});
