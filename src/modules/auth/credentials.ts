import { isEmail } from 'class-validator';

/** A token (an access token or an API key `ck_…`), or an email and password to sign in with. */
export type Credentials = { token: string } | { email: string; password: string };

export interface CredentialSources {
  /** An `X-API-Key` header: only an API key (`ck_…`) counts. */
  apiKey?: unknown;
  /** An `Authorization` header: `Bearer <token>`, or `Basic <base64 of email:password>` with `basic`. */
  authorization?: unknown;
  /** A Socket.io handshake's token, with or without `Bearer `. */
  token?: unknown;
}

/**
 * The one parser of what a caller presents, for the API-key strategy, the queue board and the realtime
 * gateway. `X-API-Key` wins over `Authorization` when it is set. With `basic`, a Basic password that starts
 * with `ck_` is taken as an API key (any user name), so a browser's sign-in prompt takes a key too.
 */
export function credentialsFrom(
  { apiKey, authorization, token }: CredentialSources,
  { basic = false } = {},
): Credentials | undefined {
  if (typeof token === 'string') {
    const bare = token.replace(/^Bearer\s+/i, '');
    return bare ? { token: bare } : undefined;
  }
  if (typeof apiKey === 'string' && apiKey) return apiKey.startsWith('ck_') ? { token: apiKey } : undefined;
  const [, scheme, value] =
    /^(\w+)\s+(\S+)\s*$/.exec(typeof authorization === 'string' ? authorization : '') ?? [];
  if (!value) return undefined;
  if (/^bearer$/i.test(scheme)) return { token: value };
  if (!basic || !/^basic$/i.test(scheme)) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const password = decoded.slice(colon + 1);
  if (password.startsWith('ck_')) return { token: password };
  const email = decoded.slice(0, colon).trim().toLowerCase();
  // What POST /api/auth/login would accept; anything else cannot sign in (and never reaches the database).
  if (!isEmail(email) || email.length > 254 || !password || password.length > 128) return undefined;
  return { email, password };
}
