import type { Job } from 'bullmq';
import type { FairShare } from './fair-share';
import type { WakeResult } from './queue-entries';

/** A slot's lease outlives the attempt's timeout by this much, so only a dead worker's slot lapses. */
export const LEASE_MARGIN_MS = 60_000;
/** A slot reserved for a held entry that never comes (removed, its wake-up lost) is free again after this. */
const RESERVE_MS = 60_000;
/** A held entry comes back by itself after this, should the wake-up of its turn be lost. */
export const HELD_RECHECK_MS = 60_000;

/** Wakes a held entry of the queue (JobQueue.wake, WebhookQueue.wake). */
type Wake = (id: string) => Promise<WakeResult>;

/**
 * The queue side of a start FairShare refused for the cap, for any fairly shared queue (JobSlots,
 * DeliverySlots): the entry goes back to delayed, no attempt counted, until a release wakes it.
 */
export async function holdEntry(
  fair: FairShare,
  wake: Wake,
  entry: Job,
  token: string | undefined,
  { tenant, id }: { tenant: string; id: string },
): Promise<void> {
  await entry.moveToDelayed(Date.now() + HELD_RECHECK_MS, token);
  // A release between the refused start and the move above reserved a slot for this entry but could not
  // wake it (it was still active): wake it here.
  if (await fair.hasSlot(tenant, id)) await wake(id);
}

/** After an attempt: its slot goes to the tenant's next held entries (lowest tag first), woken now. */
export async function releaseSlot(
  fair: FairShare,
  wake: Wake,
  slot: { tenant: string; id: string; cap: number },
): Promise<void> {
  let next = await fair.release(slot.tenant, slot.id, slot.cap, RESERVE_MS);
  while (next.length > 0) {
    const gone: string[] = [];
    for (const id of next) if ((await wake(id)) === 'gone') gone.push(id);
    // A held entry removed meanwhile does not keep the slot reserved for it.
    next = [];
    for (const id of gone) next.push(...(await fair.release(slot.tenant, id, slot.cap, RESERVE_MS)));
  }
}
