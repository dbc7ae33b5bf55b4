import { createHash, createHmac } from 'node:crypto';
import type { SigningSecrets } from '../auth/queries/get-signing-secrets/get-signing-secrets.query';

const keyOf = (secret: string) => Buffer.from(secret.replace(/^whsec_/, ''), 'base64');

/** Standard Webhooks: base64 HMAC-SHA256 over `id.timestamp.body`, with the base64-decoded secret. */
export function standardSignature(secret: string, id: string, timestamp: number, body: string): string {
  return createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
}

/** The older convention: hex HMAC-SHA256 over `timestamp.body`, same key. */
export function conveyorSignature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', keyOf(secret)).update(`${timestamp}.${body}`).digest('hex');
}

/** Every header of one delivery attempt (API.md, Webhooks). */
export function signedHeaders(
  secrets: SigningSecrets,
  delivery: { id: string; body: string; attempt: number },
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const signatures = [secrets.current, ...(secrets.previous ? [secrets.previous] : [])].map(
    (secret) => `v1,${standardSignature(secret, delivery.id, timestamp, delivery.body)}`,
  );
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'Conveyor-Webhook/1.0',
    'webhook-id': delivery.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatures.join(' '),
    'X-Conveyor-Signature': `sha256=${conveyorSignature(secrets.current, timestamp, delivery.body)}`,
    'X-Conveyor-Attempt': String(delivery.attempt),
  };
}

/** A UUID derived from text: the same job finish always yields the same delivery id. */
export function uuidFrom(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
