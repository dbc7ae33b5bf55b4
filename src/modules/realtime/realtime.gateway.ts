import { Logger } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { isUUID } from 'class-validator';
import { isBackendUnavailable } from '@app/common/http/error-response';
import type { Server, Socket } from 'socket.io';
import {
  ClientToServerEvents,
  rooms,
  ServerToClientEvents,
  SubscribeAck,
} from '@app/contracts/realtime-events';
import type { AuthenticatedUser, AuthUser } from '../auth/auth-user';
import { CredentialRevocations, Revocation } from '../auth/credential-revocations';
import { credentialsFrom } from '../auth/credentials';
import { AuthenticateTokenQuery } from '../auth/queries/authenticate-token/authenticate-token.query';
import { GetJobQuery } from '../jobs/queries/get-job/get-job.query';

type ConveyorSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  { user: AuthenticatedUser; token: string }
>;

const NOT_FOUND = 'Job not found';
const REVOKED = 'Credentials revoked';
const UNAVAILABLE = 'Service unavailable, try again shortly';

/** This instance's room of the sockets a revocation ends (server-side only: clients never see these). */
const revocationRoom = ({ kind, id }: Revocation) => (kind === 'user' ? rooms.user(id) : `${kind}:${id}`);

/**
 * Socket.io on the API's port. The handshake must carry an access token or an API key (`auth.token` or
 * `?token=`): otherwise `connect_error` "Unauthorized" and no connection. Every socket is in its user's room
 * (admins also in the admins room); `subscribe` adds a job's room, for the owner's jobs only. A socket ends
 * when its access token expires, and as soon as its API key, its login (the token's refresh family) or its
 * user is revoked on any instance (CredentialRevocations).
 */
@WebSocketGateway()
export class RealtimeGateway implements OnGatewayInit, OnGatewayConnection {
  private readonly logger = new Logger(RealtimeGateway.name);

  private server?: Server;

  constructor(
    private readonly queries: QueryBus,
    revocations: CredentialRevocations,
  ) {
    revocations.onRevoked((revocation) => this.endRevoked(revocation));
  }

  afterInit(server: Server) {
    this.server = server;
    server.use((client, next) => {
      const socket = client as ConveyorSocket;
      const credentials = credentialsFrom({
        token: (socket.handshake.auth as { token?: unknown }).token ?? socket.handshake.query.token,
      });
      if (!credentials || !('token' in credentials)) return next(new Error('Unauthorized'));
      this.queries
        .execute(new AuthenticateTokenQuery(credentials.token))
        .then((user) => {
          if (!user) return next(new Error('Unauthorized'));
          socket.data.user = user;
          socket.data.token = credentials.token;
          next();
        })
        .catch((error: unknown) => {
          this.logger.warn({ err: error }, 'Socket authentication failed');
          next(new Error(isBackendUnavailable(error) ? UNAVAILABLE : 'Unauthorized'));
        });
    });
  }

  async handleConnection(socket: ConveyorSocket) {
    const { user } = socket.data;
    const joined = [rooms.user(user.id)];
    if (user.role === 'admin') joined.push(rooms.admins);
    if (user.apiKeyId) joined.push(revocationRoom({ kind: 'api-key', id: user.apiKeyId }));
    if (user.familyId) joined.push(revocationRoom({ kind: 'family', id: user.familyId }));
    await socket.join(joined);
    socket.emit('connected', { message: 'Connected to Conveyor realtime', userId: user.id });
    // An access token's socket ends when the token does (API keys have no expiry).
    const exp = tokenExpiry(socket.data.token);
    if (exp !== undefined) {
      const timer = setTimeout(() => this.end(socket, 'Token expired'), Math.max(0, exp * 1000 - Date.now()));
      socket.once('disconnect', () => clearTimeout(timer));
    }
  }

  /** The sockets of this instance that the revocation concerns (every instance hears it and ends its own). */
  private endRevoked(revocation: Revocation) {
    const namespace = this.server?.of('/');
    const ids = namespace?.adapter.rooms.get(revocationRoom(revocation));
    for (const id of ids ? [...ids] : []) {
      const socket = namespace?.sockets.get(id);
      if (socket) this.end(socket as ConveyorSocket, REVOKED);
    }
  }

  /** Tells the client why, then disconnects it. */
  private end(socket: ConveyorSocket, message: string) {
    socket.emit('error', { message });
    socket.disconnect(true);
  }

  @SubscribeMessage('subscribe')
  async subscribe(
    @ConnectedSocket() socket: ConveyorSocket,
    @MessageBody() body: unknown,
  ): Promise<SubscribeAck> {
    // The credentials are checked again: a revoked key or a deleted user's socket subscribes to nothing.
    const still = await this.queries
      .execute(new AuthenticateTokenQuery(socket.data.token))
      .catch((error: unknown) => (isBackendUnavailable(error) ? UNAVAILABLE : undefined));
    // An outage is not a revocation: the socket stays, the subscribe can be tried again.
    if (still === UNAVAILABLE) return { success: false, message: UNAVAILABLE };
    if (!still) {
      this.end(socket, REVOKED);
      return { success: false, message: REVOKED };
    }
    const jobId = (body as { jobId?: unknown } | null)?.jobId;
    if (typeof jobId !== 'string' || !isUUID(jobId) || !(await this.owns(socket.data.user, jobId))) {
      socket.emit('error', { message: NOT_FOUND, ...(typeof jobId === 'string' ? { jobId } : {}) });
      return { success: false, message: NOT_FOUND };
    }
    await socket.join(rooms.job(jobId));
    socket.emit('subscribed', { jobId });
    return { success: true };
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(
    @ConnectedSocket() socket: ConveyorSocket,
    @MessageBody() body: unknown,
  ): Promise<SubscribeAck> {
    const jobId = (body as { jobId?: unknown } | null)?.jobId;
    if (typeof jobId !== 'string') return { success: false, message: 'jobId is required' };
    await socket.leave(rooms.job(jobId));
    socket.emit('unsubscribed', { jobId });
    return { success: true };
  }

  @SubscribeMessage('ping')
  ping(@ConnectedSocket() socket: ConveyorSocket) {
    socket.emit('pong', { timestamp: new Date().toISOString() });
  }

  private async owns(user: AuthUser, jobId: string): Promise<boolean> {
    try {
      await this.queries.execute(new GetJobQuery(user.id, jobId));
      return true;
    } catch {
      return false;
    }
  }
}

/** The `exp` (seconds) of a JWT, or undefined for an API key or an unreadable token. */
function tokenExpiry(token: string): number | undefined {
  if (token.startsWith('ck_')) return undefined;
  try {
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}
