import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import type * as Argon2 from '@node-rs/argon2';
import type * as LanguageCommon from '@zxcvbn-ts/language-common';

// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
// `algorithm: 2` is Algorithm.Argon2id (a const enum, which isolated modules cannot import).
const ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

// zxcvbn's list is ordered by frequency; its head is the "10,000 most common passwords". Its
// dictionaries take ~0.1 s to load, so they load at the first password check, not at every start.
const load = createRequire(import.meta.url);
let common: Set<string> | undefined;

export function isCommonPassword(password: string): boolean {
  common ??= new Set(
    ((load('@zxcvbn-ts/language-common') as typeof LanguageCommon).dictionary['passwords-common'] as string[])
      .slice(0, 10_000)
      .map((p) => p.toLowerCase()),
  );
  return common.has(password.toLowerCase());
}

// The native addon loads with the first password a process checks, not with every start.
let argon2: Promise<typeof Argon2> | undefined;
const loadArgon2 = () => (argon2 ??= import('@node-rs/argon2'));

/**
 * At most one hash per core but one at a time: argon2 runs on libuv's thread pool (4 threads), so 20
 * sign-ins at once would take every core from the event loop and the database (on 2 cores the list's
 * p99 went from 0.2 s to 4 s). Waiting sign-ins queue here instead; the rest of the API stays quick.
 */
export const HASH_CONCURRENCY = Math.max(1, availableParallelism() - 1);
const hashing = pLimit(HASH_CONCURRENCY);

export const hashPassword = async (password: string) => {
  const { hash } = await loadArgon2();
  return hashing(() => hash(password, ARGON2));
};

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  const { verify } = await loadArgon2(); // a missing addon is an error, not a wrong password
  try {
    return await hashing(() => verify(passwordHash, password));
  } catch {
    return false;
  }
}

/** How many hashes are running and waiting (the tests read it). */
export const hashingLoad = () => ({ active: hashing.activeCount, pending: hashing.pendingCount });

let dummyHash: Promise<string> | undefined;
/** Unknown accounts are checked against a throwaway hash so they take as long as wrong passwords. */
export async function burnVerification(password: string): Promise<void> {
  dummyHash ??= hashPassword('crewdesk-timing-equaliser');
  await verifyPassword(await dummyHash, password);
}
