import { createHash, createSecretKey, KeyObject, randomBytes } from 'node:crypto';

const API_KEY_PREFIX_LENGTH = 11; // "ck_" + 8 characters

/** A new API key (`ck_` + base64url of 32 random bytes), with what is stored of it. */
export function newApiKey() {
  const key = `ck_${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, API_KEY_PREFIX_LENGTH), keyHash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The access tokens' HS256 key as a KeyObject, not the string: given a string, jsonwebtoken first tries, and
 * fails with a thrown error, to read it as a public key on every verification, which cost 12 % of the API's
 * CPU under the benchmark. jsonwebtoken accepts a KeyObject; the typings of passport-jwt and @nestjs/jwt
 * predate that, hence the casts where it is passed.
 */
export function accessTokenKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret));
}
