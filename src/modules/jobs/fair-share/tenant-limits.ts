import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Env } from '../../../config/env';

export interface TenantLimit {
  /** Share of starts relative to other tenants (1..10). */
  weight: number;
  /** Jobs of the tenant PROCESSING at once at most; 0 is no cap. */
  cap: number;
}

/**
 * How long a tenant's weight and cap are reused before they are read again: an admin's change reaches every
 * process within this. Short, as a hot path (every submission, every start) reads them.
 */
export const TENANT_LIMITS_CACHE_MS = 5000;
const MAX_CACHED = 10_000;

/** Each tenant's weight and concurrency cap (the user's own, else USER_MAX_CONCURRENCY), cached briefly. */
@Injectable()
export class TenantLimits {
  private readonly cache = new Map<string, { limit: TenantLimit; until: number }>();
  private readonly defaultCap: number;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    config: ConfigService<Env, true>,
  ) {
    this.defaultCap = config.get('USER_MAX_CONCURRENCY', { infer: true });
  }

  async of(tenant: string): Promise<TenantLimit> {
    return (await this.ofMany([tenant])).get(tenant)!;
  }

  /** The limits of every tenant given, reading the ones not cached in one query. */
  async ofMany(tenants: string[]): Promise<Map<string, TenantLimit>> {
    const now = Date.now();
    const found = new Map<string, TenantLimit>();
    const missing = new Set<string>();
    for (const tenant of tenants) {
      const cached = this.cache.get(tenant);
      if (cached && cached.until > now) found.set(tenant, cached.limit);
      else missing.add(tenant);
    }
    if (missing.size === 0) return found;
    // The users table is the auth module's: read here by its two fair-sharing columns only.
    const rows = await this.db.query<{ id: string; weight: number; maxConcurrency: number | null }[]>(
      `SELECT id, weight, max_concurrency AS "maxConcurrency" FROM users WHERE id = ANY($1::uuid[])`,
      [[...missing]],
    );
    if (this.cache.size > MAX_CACHED) this.cache.clear();
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const tenant of missing) {
      const row = byId.get(tenant);
      const limit = { weight: row?.weight ?? 1, cap: row?.maxConcurrency ?? this.defaultCap };
      this.cache.set(tenant, { limit, until: now + TENANT_LIMITS_CACHE_MS });
      found.set(tenant, limit);
    }
    return found;
  }
}
