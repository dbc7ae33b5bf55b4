import { fake } from '@app/testing/fake';
import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Metrics, QUEUE_STATES } from './metrics';

describe(Metrics.name, () => {
  /** A queue whose counts come from `counts` at each call (which may throw, like a lost Redis). */
  const queue = (name: string, counts: () => Record<string, number> = () => ({})) =>
    fake<Queue>({ name, getJobCounts: jest.fn(() => Promise.resolve().then(counts)) });

  it('reads every queue state from BullMQ at scrape time', async () => {
    let waiting = 3;
    const jobs = queue('jobs', () => ({
      waiting,
      active: 1,
      delayed: 0,
      prioritized: 7,
      completed: 0,
      failed: 2,
    }));
    const metrics = new Metrics(
      jobs,
      queue('webhooks', () => ({ completed: 5 })),
    );

    expect(await metrics.text()).toContain('conveyor_queue_jobs{queue="jobs",state="prioritized"} 7');
    waiting = 4;
    const text = await metrics.text();
    expect(jobs.getJobCounts).toHaveBeenLastCalledWith(...QUEUE_STATES);
    expect(text).toContain('conveyor_queue_jobs{queue="jobs",state="waiting"} 4');
    expect(text).toContain('conveyor_queue_jobs{queue="webhooks",state="completed"} 5');
    expect(text).toContain('conveyor_queue_jobs{queue="webhooks",state="failed"} 0');
  });

  it('still answers without the series of a queue it cannot read', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation();
    const lost = () => {
      throw new Error('Connection is closed');
    };
    const metrics = new Metrics(
      queue('jobs', lost),
      queue('webhooks', () => ({ waiting: 1 })),
    );
    const text = await metrics.text();
    expect(text).not.toContain('queue="jobs"');
    expect(text).toContain('conveyor_queue_jobs{queue="webhooks",state="waiting"} 1');
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });

  it('gives up on a queue whose Redis does not answer within 2 s, so the scrape does not hang', async () => {
    jest.useFakeTimers();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation();
    try {
      const silent = fake<Queue>({ name: 'jobs', getJobCounts: () => new Promise(() => {}) });
      const metrics = new Metrics(
        silent,
        queue('webhooks', () => ({ waiting: 2 })),
      );
      const scrape = metrics.text();
      await jest.advanceTimersByTimeAsync(2000);
      const text = await scrape;
      expect(text).not.toContain('queue="jobs"');
      expect(text).toContain('conveyor_queue_jobs{queue="webhooks",state="waiting"} 2');
    } finally {
      warn.mockRestore();
      jest.useRealTimers();
    }
  });

  it('gives each instance its own registry, so a second app in one process registers again', async () => {
    const first = new Metrics(queue('jobs'), queue('webhooks'));
    const second = new Metrics(queue('jobs'), queue('webhooks'));
    first.jobsSubmitted.inc({ type: 'sleep' });
    expect(await first.text()).toContain('conveyor_jobs_submitted_total{type="sleep"} 1');
    expect(await second.text()).not.toContain('conveyor_jobs_submitted_total{type="sleep"}');
    expect(await second.text()).toContain('conveyor_process_cpu_user_seconds_total');
  });
});
