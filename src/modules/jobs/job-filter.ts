import type { JobStatus } from './job-status';

/** What jobs are narrowed down by: a user's list, the admin's listing and replay. */
export interface JobFilter {
  userId?: string;
  status?: JobStatus;
  type?: string;
  /** createdAt on or after (ISO-8601). */
  from?: string;
  /** createdAt on or before (ISO-8601). */
  to?: string;
  /** A case-insensitive substring of the error text. */
  q?: string;
}

/** Makes `%`, `_` and the escape character itself stand for themselves in a LIKE pattern. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/** The filter as a WHERE clause over the alias `job` (entity property names), with its parameters. */
export function jobFilterWhere(filter: JobFilter): { where: string; params: Record<string, unknown> } {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  const add = (clause: string, name: string, value: unknown) => {
    clauses.push(clause);
    params[name] = value;
  };
  if (filter.userId) add('job.userId = :userId', 'userId', filter.userId);
  if (filter.status) add('job.status = :status', 'status', filter.status);
  if (filter.type) add('job.type = :type', 'type', filter.type);
  if (filter.from) add('job.createdAt >= :from', 'from', new Date(filter.from));
  if (filter.to) add('job.createdAt <= :to', 'to', new Date(filter.to));
  if (filter.q) add(`job.error ILIKE :q ESCAPE '\\'`, 'q', `%${escapeLike(filter.q)}%`);
  return { where: clauses.length > 0 ? clauses.join(' AND ') : 'TRUE', params };
}
