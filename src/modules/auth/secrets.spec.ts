import { createHash } from 'node:crypto';
import { hashApiKey, newApiKey, newWebhookSecret } from './secrets';

describe('secrets', () => {
  it('makes ck_ API keys of 32 random bytes, with an 11-character prefix and their SHA-256', () => {
    const { key, prefix, keyHash } = newApiKey();
    expect(key).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32);
    expect(prefix).toBe(key.slice(0, 11));
    expect(keyHash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(newApiKey().key).not.toBe(key);
  });

  it('hashes API keys to lowercase SHA-256 hex', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('makes whsec_ webhook secrets of 32 random bytes that fit the 64-character column', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(secret.length).toBeLessThanOrEqual(64);
    expect(newWebhookSecret()).not.toBe(secret);
  });
});
