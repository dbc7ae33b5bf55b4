import type Redis from 'ioredis';
import type { JobPriority } from '../job-status';

/** The queues that share their workers fairly between tenants; each has keys of its own. */
export type FairScope = 'jobs' | 'webhooks';

/** BullMQ's highest priority number (lower runs first; 0 would mean "no priority", ahead of every tag). */
export const MAX_TAG = 2 ** 21 - 1;
/** Past this virtual time the next submission rebases V, the lasts and the waiting entries' tags. */
export const REBASE_AT = 1_500_000;

/**
 * Virtual time a job of each class costs its tenant at weight 1: across tenants, one marking everything
 * `high` gets twice the starts of a `normal` one (within a tenant the order is strict: see start).
 */
export const STEPS: Record<JobPriority, number> = { high: 1, normal: 2, low: 4 };

export interface TagRequest {
  tenant: string;
  priority: JobPriority;
  /**
   * The job, when it is waiting now (not scheduled for later): the tenant's waiting jobs are kept in class
   * order, so that each of the tenant's turns goes to its best waiting job (see start).
   */
  id?: string;
  /** 1..10: a weight-2 tenant's tags advance half as fast, so it gets twice the starts. */
  weight: number;
}

export type StartResult = { kind: 'run' } | { kind: 'held' } | { kind: 'yield'; to: string };

/** What a "why isn't it running" reader needs of a tenant. */
export interface TenantSlots {
  running: number;
  held: number;
}

const CLASS_ORDER: Record<JobPriority, number> = { high: 0, normal: 1, low: 2 };
/** A tenant's waiting set lives this long after its last change (entries of jobs cancelled while waiting). */
const WAITING_TTL_S = 7 * 24 * 3600;

// Tags for a batch: tag = max(V, last[tenant:class]) + step/weight, kept as floats, answered as integers in
// 1..MAX_TAG (ties run in submission order, BullMQ's FIFO within a priority). A waiting job also joins its
// tenant's waiting set, scored class first, then submission order.
const TAGS = `
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
local out = {}
local lasts = {}
for i = 2, #ARGV, 5 do
  local tenant, class, order, step, id = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), ARGV[i + 4]
  local key = tenant .. ':' .. class
  local last = lasts[key]
  if last == nil then last = tonumber(redis.call('HGET', KEYS[2], key) or '0') end
  if last < v then last = v end
  last = last + step
  lasts[key] = last
  if id ~= '' then
    local waiting = ARGV[1] .. ':waiting:' .. tenant
    redis.call('ZADD', waiting, order * 1099511627776 + redis.call('INCR', KEYS[3]), id)
    redis.call('EXPIRE', waiting, ${WAITING_TTL_S})
  end
  local tag = math.ceil(last)
  if tag < 1 then tag = 1 end
  if tag > ${MAX_TAG} then tag = ${MAX_TAG} end
  out[#out + 1] = tag
end
for key, last in pairs(lasts) do redis.call('HSET', KEYS[2], key, tostring(last)) end
return out`;

// A start. First, priority within the tenant's turn: when the tenant has a waiting job of a better class than
// this one, that job takes the turn (answered as {2, id}; the caller swaps the two in the queue). Then, with a
// cap (ARGV[3] > 0), take a slot or be held (0), atomically; a job that already has a slot (one reserved for
// it by a release, or its own from before a stall) keeps it. V advances to a started job's tag (1).
const START = `
local tag, id, cap, now, lease = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local mine = redis.call('ZSCORE', KEYS[4], id)
if mine then
  local first = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
  if first[1] ~= id and math.floor(tonumber(first[2]) / 1099511627776) < math.floor(tonumber(mine) / 1099511627776) then
    redis.call('ZREM', KEYS[4], first[1])
    return {2, first[1]}
  end
  redis.call('ZREM', KEYS[4], id)
end
if cap > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if not redis.call('ZSCORE', KEYS[2], id) and redis.call('ZCARD', KEYS[2]) >= cap then
    redis.call('ZADD', KEYS[3], 'NX', tag, id)
    return {0}
  end
  redis.call('ZADD', KEYS[2], now + lease, id)
  redis.call('ZREM', KEYS[3], id)
end
if tag > tonumber(redis.call('GET', KEYS[1]) or '0') then redis.call('SET', KEYS[1], tag) end
return {1}`;

// A finish: frees the job's slot and reserves free slots for the tenant's next held jobs (lowest tag first),
// whose ids it answers, for the caller to promote. A reservation lapses if its job never comes.
const RELEASE = `
local id, cap, now, reserve = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREM', KEYS[1], id)
redis.call('ZREM', KEYS[2], id)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {}
while redis.call('ZCARD', KEYS[1]) < cap do
  local popped = redis.call('ZPOPMIN', KEYS[2])
  if #popped == 0 then break end
  redis.call('ZADD', KEYS[1], now + reserve, popped[1])
  out[#out + 1] = popped[1]
end
return out`;

// Rebase: V and every last less the offset (never below 0).
const SHIFT = `
local offset = tonumber(ARGV[1])
local v = tonumber(redis.call('GET', KEYS[1]) or '0') - offset
if v < 0 then v = 0 end
redis.call('SET', KEYS[1], v)
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local last = tonumber(all[i + 1]) - offset
  if last < 0 then last = 0 end
  redis.call('HSET', KEYS[2], all[i], tostring(last))
end
return v`;

/**
 * Start-time fair queuing between tenants over one queue's priority numbers, and per-tenant concurrency caps.
 * The only Redis-specific piece of fair sharing: our own small scripts on our own keys (never BullMQ's), so a
 * PostgreSQL-only mode can replace this class alone.
 *
 * - Virtual time V advances to a job's tag when it starts; a new job's tag is max(V, last tag of its tenant and
 *   class) + step(class) / weight(tenant). A tenant that was idle starts at V, never behind another's backlog.
 * - Within a tenant, each turn goes to its best waiting job: a set of its waiting jobs in class order; a job
 *   that starts while a better one waits yields its turn to it (the caller swaps the two queue entries).
 * - A capped tenant's running jobs are a set of leases (a dead worker's slot comes back when its lease ends);
 *   a job that finds the set full is held, and a finishing job reserves its slot for the next held one.
 */
export class FairShare {
  private readonly base: string;
  private readonly keys: { v: string; lasts: string; rebase: string; seq: string };

  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly scope: FairScope,
  ) {
    // One hash tag: every key of a scope in one slot, should Redis ever be a cluster.
    const base = (this.base = `${prefix}:{fair:${scope}}`);
    this.keys = { v: `${base}:v`, lasts: `${base}:lasts`, rebase: `${base}:rebase`, seq: `${base}:seq` };
  }

  private running(tenant: string) {
    return `${this.base}:running:${tenant}`;
  }

  private waiting(tenant: string) {
    return `${this.base}:waiting:${tenant}`;
  }

  private held(tenant: string) {
    return `${this.base}:held:${tenant}`;
  }

  /** Tags for new jobs, in order, in one round trip. */
  async tags(requests: TagRequest[]): Promise<number[]> {
    if (requests.length === 0) return [];
    const args = requests.flatMap(({ tenant, priority, weight, id }) => [
      tenant,
      priority,
      CLASS_ORDER[priority],
      String(STEPS[priority] / Math.max(1, weight)),
      id ?? '',
    ]);
    return (await this.redis.eval(
      TAGS,
      3,
      this.keys.v,
      this.keys.lasts,
      this.keys.seq,
      this.base,
      ...args,
    )) as number[];
  }

  /**
   * A job about to start, one round trip: `run` (V then advances to its tag); `held`, when its tenant is at
   * `cap` running jobs (`cap` 0 is no cap: nothing is tracked); or `yield`, when the tenant has a waiting job
   * of a better class, which should take this turn instead (it has left the waiting set: the next start of
   * this job does not yield to it again).
   */
  async start(tenant: string, id: string, tag: number, cap: number, leaseMs: number): Promise<StartResult> {
    const [kind, other] = (await this.redis.eval(
      START,
      4,
      this.keys.v,
      this.running(tenant),
      this.held(tenant),
      this.waiting(tenant),
      tag,
      id,
      cap,
      Date.now(),
      leaseMs,
    )) as [number, string?];
    return kind === 1 ? { kind: 'run' } : kind === 0 ? { kind: 'held' } : { kind: 'yield', to: other! };
  }

  /**
   * A capped job finished, or a held or reserved job went away: its slot is freed, and reserved for up to as
   * many held jobs as now fit under `cap`; their ids are answered, for the caller to wake up.
   */
  async release(tenant: string, id: string, cap: number, reserveMs: number): Promise<string[]> {
    return (await this.redis.eval(
      RELEASE,
      2,
      this.running(tenant),
      this.held(tenant),
      id,
      cap,
      Date.now(),
      reserveMs,
    )) as string[];
  }

  /** Whether a slot is (still) the job's: a release may have reserved one for it while it was being held. */
  async hasSlot(tenant: string, id: string): Promise<boolean> {
    return (await this.redis.zscore(this.running(tenant), id)) !== null;
  }

  async isHeld(tenant: string, id: string): Promise<boolean> {
    return (await this.redis.zscore(this.held(tenant), id)) !== null;
  }

  /** Live slots (running or reserved) and held jobs of a capped tenant; zeros for one never capped. */
  async slots(tenant: string): Promise<TenantSlots> {
    const [[, running], [, held]] = (await this.redis
      .multi()
      .zcount(this.running(tenant), Date.now(), '+inf')
      .zcard(this.held(tenant))
      .exec()) as [[null, number], [null, number]];
    return { running, held };
  }

  async virtualTime(): Promise<number> {
    return Number((await this.redis.get(this.keys.v)) ?? 0);
  }

  /**
   * Moves the whole scale down by V before it nears BullMQ's limit. `shiftEntries(offset)` lowers the tag of
   * every waiting entry by `offset` first (so the backlog keeps its place ahead of what comes meanwhile), then
   * V and the lasts follow. One rebase at a time across processes; false when another one holds the lock or
   * V is not past REBASE_AT.
   */
  async rebase(shiftEntries: (offset: number) => Promise<void>, lockMs = 600_000): Promise<boolean> {
    const offset = Math.floor(await this.virtualTime());
    if (offset < REBASE_AT) return false;
    if (!(await this.redis.set(this.keys.rebase, String(offset), 'PX', lockMs, 'NX'))) return false;
    try {
      await shiftEntries(offset);
      await this.redis.eval(SHIFT, 2, this.keys.v, this.keys.lasts, offset);
      return true;
    } finally {
      await this.redis.del(this.keys.rebase);
    }
  }
}
