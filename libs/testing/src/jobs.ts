import type { TestApp } from './create-test-app';
import { pollUntil } from './eventually';

export interface JobBody {
  id: string;
  status: string;
  attempts: number;
  error: string | null;
  result: Record<string, unknown> | null;
  progress: number;
  nextRetryAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  [key: string]: unknown;
}

/** Submits one job through the API and returns it (201 expected). */
export async function submitJob(t: TestApp, apiKey: string, body: Record<string, unknown>): Promise<JobBody> {
  const res = await t.http().post('/api/jobs').set('X-API-Key', apiKey).send(body);
  if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.data as JobBody;
}

/** Polls GET /api/jobs/:id until `until` holds (default: a terminal status); generous timeout, no fixed sleeps. */
export function waitForJob(
  t: TestApp,
  apiKey: string,
  id: string,
  until: (job: JobBody) => boolean = (job) => ['DONE', 'FAILED', 'CANCELLED'].includes(job.status),
  timeoutMs = 45_000,
): Promise<JobBody> {
  return pollUntil(
    async () => {
      const res = await t.http().get(`/api/jobs/${id}`).set('X-API-Key', apiKey);
      return { status: res.status, job: res.body.data as JobBody };
    },
    ({ status, job }) => status === 200 && until(job),
    timeoutMs,
    ({ job }) =>
      `job ${id} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(job)}`,
  ).then(({ job }) => job);
}

export async function jobLogs(
  t: TestApp,
  apiKey: string,
  id: string,
): Promise<{ level: string; message: string; createdAt: string }[]> {
  const res = await t.http().get(`/api/jobs/${id}/logs`).set('X-API-Key', apiKey).expect(200);
  return res.body.data as { level: string; message: string; createdAt: string }[];
}
