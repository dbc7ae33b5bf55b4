import type { Queue } from 'bullmq';

/** What waking a held entry found: woken, on its way to a worker anyway, or gone (its slot is not needed). */
export type WakeResult = 'woken' | 'coming' | 'gone';
const COMING = new Set(['active', 'waiting', 'prioritized', 'waiting-children']);
const REBASE_PAGE = 500;

/**
 * Queue-side steps of fair sharing that any fairly shared queue needs (JobQueue's and WebhookQueue's), on
 * BullMQ's public API only.
 */
export const queueEntries = {
  /** A held entry's turn: out of delayed now, or what became of it. */
  async wake(queue: Queue, id: string): Promise<WakeResult> {
    const entry = await queue.getJob(id);
    if (!entry) return 'gone';
    try {
      await entry.promote();
      return 'woken';
    } catch {
      return COMING.has(await entry.getState()) ? 'coming' : 'gone';
    }
  },

  /** Lowers the tag (priority) of every waiting and delayed entry by `offset`, for FairShare.rebase. */
  async shiftTags(queue: Queue, offset: number): Promise<void> {
    const seen = new Set<string>();
    for (let start = 0; ; start += REBASE_PAGE) {
      const entries = await queue.getJobs(['prioritized', 'delayed'], start, start + REBASE_PAGE - 1);
      if (entries.length === 0) return;
      for (const entry of entries) {
        if (!entry.id || seen.has(entry.id) || !entry.priority) continue;
        seen.add(entry.id);
        // An entry a worker took meanwhile only loses the change.
        await entry.changePriority({ priority: Math.max(1, entry.priority - offset) }).catch(() => undefined);
      }
    }
  },
};
