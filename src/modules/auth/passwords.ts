import * as argon2 from 'argon2';

// OWASP's argon2id baseline (19 MiB, 2 passes): slow for attackers, ~20 ms here.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => argon2.hash(password, OPTIONS);

export const verifyPassword = (hash: string, password: string) =>
  argon2.verify(hash, password).catch(() => false);

/** Verified against when the email is unknown, so a miss takes as long as a wrong password. */
let dummyHash: Promise<string> | undefined;
export const missingUserHash = () => (dummyHash ??= hashPassword('not-a-real-password'));
