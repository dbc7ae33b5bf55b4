import { createHash, timingSafeEqual } from 'node:crypto';

export const METRICS_UNAUTHORIZED =
  'A valid metrics token is required (Authorization: Bearer <METRICS_TOKEN>)';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether a scrape may read the metrics: always when no `METRICS_TOKEN` is configured, otherwise only with
 * `Authorization: Bearer <token>` (compared in constant time).
 */
export function metricsAccessAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return !!match && timingSafeEqual(digest(match[1]), digest(token));
}
