import { STEPS } from '../fair-share/fair-share';
import { JOB_PRIORITIES, type JobPriority } from '../job-status';

/** PENDING jobs due by the time a job is, counted per tenant and class (that job itself left out). */
export interface PendingGroup {
  tenant: string;
  /** The tenant's fair-share weight. */
  weight: number;
  priority: JobPriority;
  /** Entered the queue before the job (ties by id). */
  before: boolean;
  count: number;
}

const rank = (priority: JobPriority) => JOB_PRIORITIES.indexOf(priority);
const aheadInOrder = (g: PendingGroup, priority: JobPriority) =>
  rank(g.priority) < rank(priority) || (g.priority === priority && g.before);
const sum = (groups: PendingGroup[], of: (g: PendingGroup) => number) =>
  groups.reduce((total, g) => total + of(g), 0);

/** First come, first served (FAIR_SHARING=false): every better class, then the job's own class in arrival order. */
export function jobsAheadInArrivalOrder(groups: PendingGroup[], priority: JobPriority): number {
  return sum(
    groups.filter((g) => aheadInOrder(g, priority)),
    (g) => g.count,
  );
}

/**
 * Fair sharing's order, estimated. The job waits for its own tenant's jobs ahead of it (every better class,
 * then its class in arrival order: strict within a tenant); those and the job itself cost its tenant a stretch
 * of virtual time (each job its class's step over the tenant's weight). Over that stretch every other tenant
 * starts the jobs that fit into it at its own weight, best class first, up to what it has waiting. Exact for
 * tenants whose waiting jobs were tagged from the current virtual time on; a tenant that queued its backlog
 * while others were far behind has tags further ahead, and starts fewer than counted.
 */
export function jobsAheadFairly(
  groups: PendingGroup[],
  job: { tenant: string; priority: JobPriority; weight: number },
): number {
  const own = groups.filter((g) => g.tenant === job.tenant && aheadInOrder(g, job.priority));
  const stretch = (sum(own, (g) => g.count * STEPS[g.priority]) + STEPS[job.priority]) / job.weight;
  let ahead = sum(own, (g) => g.count);
  for (const tenant of byTenant(groups.filter((g) => g.tenant !== job.tenant))) {
    let budget = stretch * tenant.weight;
    for (const priority of JOB_PRIORITIES) {
      const waiting = tenant.counts[priority];
      // Their jobs tagged before the end of the stretch start first; one tagged exactly at its end ties with
      // this job, and goes first when it entered the queue first (BullMQ's order within a priority).
      const fit = budget / STEPS[priority];
      const tie = Math.abs(fit - Math.round(fit)) < 1e-9;
      const strictly = tie ? Math.round(fit) - 1 : Math.floor(fit);
      let started = Math.max(0, Math.min(waiting, strictly));
      if (tie && started === strictly && started < Math.min(waiting, tenant.before[priority])) started += 1;
      ahead += started;
      budget -= started * STEPS[priority];
      if (started < waiting) break; // the tenant's worse classes wait behind this one
    }
  }
  return ahead;
}

function byTenant(groups: PendingGroup[]) {
  type Counts = Record<JobPriority, number>;
  const tenants = new Map<string, { weight: number; counts: Counts; before: Counts }>();
  for (const g of groups) {
    const tenant = tenants.get(g.tenant) ?? {
      weight: g.weight,
      counts: { high: 0, normal: 0, low: 0 },
      before: { high: 0, normal: 0, low: 0 },
    };
    tenant.counts[g.priority] += g.count;
    if (g.before) tenant.before[g.priority] += g.count;
    tenants.set(g.tenant, tenant);
  }
  return [...tenants.values()];
}
