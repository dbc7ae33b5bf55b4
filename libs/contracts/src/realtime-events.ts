/** Socket.io events of API.md (Realtime), shared by the gateway, the worker's emitter and the tests. */
import type { JobPriority, JobStatus } from './job';

/** The job resource as GET /api/jobs/:id shows it. */
export interface RealtimeJob {
  id: string;
  userId: string;
  type: string;
  status: JobStatus;
  priority: JobPriority;
  payload: Record<string, unknown>;
  result: unknown;
  error: string | null;
  progress: number;
  attempts: number;
  maxRetries: number;
  timeoutMs: number;
  webhookUrl: string | null;
  idempotencyKey: string | null;
  runAt: string | null;
  nextRetryAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ServerToClientEvents {
  connected: (payload: { message: string; userId: string }) => void;
  subscribed: (payload: { jobId: string }) => void;
  unsubscribed: (payload: { jobId: string }) => void;
  /**
   * A refused subscribe (`jobId` set), or the reason the server is about to disconnect the socket:
   * "Token expired" (its access token's exp) or "Credentials revoked" (a revoked key or deleted user).
   */
  error: (payload: { message: string; jobId?: string }) => void;
  pong: (payload: { timestamp: string }) => void;
  'job:updated': (job: RealtimeJob) => void;
  'job:processing': (payload: { jobId: string; status: 'PROCESSING'; attempt: number }) => void;
  'job:progress': (payload: { jobId: string; progress: number }) => void;
  'job:retrying': (payload: {
    jobId: string;
    status: 'PENDING';
    attempt: number;
    error: string | null;
    nextRetryAt: string | null;
  }) => void;
  'job:done': (payload: { jobId: string; status: 'DONE'; result: unknown }) => void;
  'job:failed': (payload: { jobId: string; status: 'FAILED'; error: string | null }) => void;
  'job:cancelled': (payload: { jobId: string; status: 'CANCELLED' }) => void;
}

export type SubscribeAck = { success: true } | { success: false; message: string };

export interface ClientToServerEvents {
  subscribe: (payload: { jobId: string }, ack?: (answer: SubscribeAck) => void) => void;
  unsubscribe: (payload: { jobId: string }, ack?: (answer: SubscribeAck) => void) => void;
  ping: () => void;
}

/** Room names, one place for gateway and emitter. */
export const rooms = {
  user: (userId: string) => `user:${userId}`,
  job: (jobId: string) => `job:${jobId}`,
  admins: 'admins',
} as const;
