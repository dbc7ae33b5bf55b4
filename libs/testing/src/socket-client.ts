import { io, Socket } from 'socket.io-client';
import { eventually } from './eventually';
import type {
  ClientToServerEvents,
  ServerToClientEvents,
  SubscribeAck,
} from '@app/contracts/realtime-events';

/** A socket.io-client socket typed with the contract's events. */
export type ConveyorClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ServerEvent = keyof ServerToClientEvents;
export type Payload<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];
export interface Received {
  event: ServerEvent;
  payload: unknown;
}

/** The job:* events of the contract sent to a job's subscribers (job:updated goes to the user's room). */
export const JOB_EVENTS: readonly ServerEvent[] = [
  'job:processing',
  'job:progress',
  'job:retrying',
  'job:done',
  'job:failed',
  'job:cancelled',
];

export interface SocketOptions {
  token?: string;
  /** `auth` (default): `{ auth: { token } }`; `query`: `?token=` in the URL. */
  via?: 'auth' | 'query';
}

/** A raw client on `url` (websocket only, a connection of its own, no reconnection). Connects at once. */
export function openSocket(url: string, { token, via = 'auth' }: SocketOptions = {}): ConveyorClientSocket {
  const options = { transports: ['websocket'], forceNew: true, reconnection: false };
  if (token !== undefined && via === 'query') {
    return io(`${url}/?token=${encodeURIComponent(token)}`, options);
  }
  return io(url, token === undefined ? options : { ...options, auth: { token } });
}

/**
 * A connected client that records every server event in arrival order (`events`), with polling waits on that
 * record: nothing is missed between two waits, and order can be checked afterwards.
 */
export class RecordingSocket {
  readonly events: Received[] = [];

  constructor(readonly socket: ConveyorClientSocket) {
    socket.onAny((event: ServerEvent, payload: unknown) => this.events.push({ event, payload }));
  }

  /** Payloads of `event` received so far, in order. */
  all<E extends ServerEvent>(event: E): Payload<E>[] {
    return this.events.filter((e) => e.event === event).map((e) => e.payload as Payload<E>);
  }

  /** Every event that concerns the job: its job:* events and job:updated for it, in order. */
  about(jobId: string): Received[] {
    return this.events.filter((e) => {
      const payload = e.payload as { jobId?: unknown; id?: unknown } | null;
      if (e.event === 'job:updated') return payload?.id === jobId;
      return JOB_EVENTS.includes(e.event) && payload?.jobId === jobId;
    });
  }

  /** The job's job:* events (not job:updated), in order. */
  jobEvents(jobId: string): Received[] {
    return this.about(jobId).filter((e) => JOB_EVENTS.includes(e.event));
  }

  /** Resolves with the first recorded event (past or future) that matches; rejects after `timeoutMs`. */
  async waitFor(predicate: (e: Received) => boolean, timeoutMs = 30_000, what = 'event'): Promise<Received> {
    return eventually(
      () => {
        const found = this.events.find(predicate);
        if (found) return Promise.resolve(found);
        throw new Error(`no ${what} within ${timeoutMs} ms; received: ${JSON.stringify(this.events)}`);
      },
      timeoutMs,
      20,
    );
  }

  /** The first `event` whose payload matches. */
  async next<E extends ServerEvent>(
    event: E,
    match: (payload: Payload<E>) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<Payload<E>> {
    const found = await this.waitFor(
      (e) => e.event === event && match(e.payload as Payload<E>),
      timeoutMs,
      event,
    );
    return found.payload as Payload<E>;
  }

  subscribe(jobId: string) {
    return this.ack('subscribe', jobId);
  }

  unsubscribe(jobId: string) {
    return this.ack('unsubscribe', jobId);
  }

  close() {
    this.socket.disconnect();
  }

  private ack(event: 'subscribe' | 'unsubscribe', jobId: string, timeoutMs = 10_000) {
    return new Promise<SubscribeAck>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ack to ${event} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.socket.emit(event, { jobId }, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
  }
}

/** Connects with `token` and resolves once the server's `connected` event has arrived. */
export async function connectSocket(url: string, options: SocketOptions): Promise<RecordingSocket> {
  const client = new RecordingSocket(openSocket(url, options));
  await new Promise<void>((resolve, reject) => {
    client.socket.once('connect_error', (error) => reject(new Error(`connect_error: ${error.message}`)));
    client.socket.once('connected', () => resolve());
  }).catch((error: unknown) => {
    client.close();
    throw error;
  });
  return client;
}

/**
 * A connection attempt expected to be refused: resolves with the `connect_error` message and whether the
 * socket had connected at any point before (it must not have).
 */
export async function connectRefused(
  url: string,
  options: SocketOptions,
  timeoutMs = 10_000,
): Promise<{ message: string; everConnected: boolean; events: Received[] }> {
  const client = new RecordingSocket(openSocket(url, options));
  let everConnected = false;
  client.socket.on('connect', () => (everConnected = true));
  try {
    const message = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connect_error within ${timeoutMs} ms`)), timeoutMs);
      client.socket.once('connect_error', (error) => {
        clearTimeout(timer);
        resolve(error.message);
      });
    });
    return { message, everConnected: everConnected || client.socket.connected, events: client.events };
  } finally {
    client.close();
  }
}
