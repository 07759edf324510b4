import { createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

export interface SigningKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
  jwk: JWK;
}

/**
 * A key other than the signing one whose tokens are still accepted and which the JWKS publishes:
 * the previous key after a rotation, or the next one before it. Given as a private key, the secrets
 * derived from it (refresh-token chains, device cookies) are accepted too.
 */
export interface AcceptedKey {
  publicKey: KeyObject;
  privateKey: KeyObject | null;
  kid: string;
  jwk: JWK;
  /** Tokens it signed verify until then (ms since the epoch); null: for as long as it is configured. */
  verifiesUntil: number | null;
  /** Secrets derived from it are accepted until then; null: for as long as it is configured. */
  derivesUntil: number | null;
}

const KEY_FILE = 'jwt-ed25519.pem';
/** Where `rotate-signing-key` keeps the keys it replaced, named `<rotated at, ms>.pem`. */
const RETIRED_DIR = 'jwt-retired';

/**
 * Production passes the key in JWT_PRIVATE_KEY. Embedded mode makes one on first start and keeps
 * it in DATA_DIR, readable by the owner only; an in-memory database gets a key that dies with it.
 */
export function loadPrivateKeyPem(pem: string | null, dataDir: string, persist: boolean): string {
  if (pem) return pem;
  const generate = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  if (!persist) return generate();
  const file = join(dataDir, KEY_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8');
  mkdirSync(dataDir, { recursive: true });
  const fresh = generate();
  writeFileSync(file, fresh, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return fresh;
}

async function publicJwk(publicKey: KeyObject): Promise<{ kid: string; jwk: JWK }> {
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, jwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
}

export async function signingKeys(pem: string): Promise<SigningKeys> {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`JWT_PRIVATE_KEY must be an Ed25519 key, not ${privateKey.asymmetricKeyType}`);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, ...(await publicJwk(publicKey)) };
}

/** An accepted key from one PEM block; throws naming what is wrong with it. */
export async function acceptedKey(
  pem: string,
  until: { verifiesUntil: number | null; derivesUntil: number | null } = { verifiesUntil: null, derivesUntil: null },
): Promise<AcceptedKey> {
  const privateKey = pem.includes('PRIVATE KEY') ? createPrivateKey(pem) : null;
  const publicKey = privateKey ? createPublicKey(privateKey) : createPublicKey(pem);
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`an accepted key must be an Ed25519 key, not ${publicKey.asymmetricKeyType}`);
  }
  return { publicKey, privateKey, ...(await publicJwk(publicKey)), ...until };
}

/**
 * Embedded mode's rotation: the signing key in DATA_DIR moves to DATA_DIR/jwt-retired and a new one
 * takes its place; the next start signs with the new one. Returns the path of the retired key,
 * or null when DATA_DIR holds no key yet (the first start makes one).
 */
export function rotateSigningKey(dataDir: string, now = Date.now()): string | null {
  const file = join(dataDir, KEY_FILE);
  if (!existsSync(file)) return null;
  mkdirSync(join(dataDir, RETIRED_DIR), { recursive: true, mode: 0o700 });
  const retired = join(dataDir, RETIRED_DIR, `${now}.pem`);
  renameSync(file, retired);
  loadPrivateKeyPem(null, dataDir, true);
  return retired;
}

/**
 * The keys `rotate-signing-key` retired, still accepted: their access tokens until they have
 * expired, their refresh-token chains and device cookies until the sessions they served have.
 * Older ones are deleted.
 */
export async function retiredKeys(
  dataDir: string,
  ttl: { accessTtlSeconds: number; refreshTtlSeconds: number },
  now = Date.now(),
): Promise<AcceptedKey[]> {
  const dir = join(dataDir, RETIRED_DIR);
  if (!existsSync(dir)) return [];
  const keys: AcceptedKey[] = [];
  for (const name of readdirSync(dir)) {
    const rotatedAt = /^(\d+)\.pem$/.exec(name)?.[1];
    if (!rotatedAt) continue;
    const derivesUntil = Number(rotatedAt) + ttl.refreshTtlSeconds * 1000;
    if (derivesUntil <= now) {
      rmSync(join(dir, name), { force: true });
      continue;
    }
    const verifiesUntil = Number(rotatedAt) + ttl.accessTtlSeconds * 1000;
    keys.push(await acceptedKey(readFileSync(join(dir, name), 'utf8'), { verifiesUntil, derivesUntil }));
  }
  return keys;
}

/**
 * A 256-bit secret for one purpose (HMAC keys for refresh-token chains, device cookies), derived
 * from the signing key with HKDF: every replica that can sign access tokens derives the same
 * secrets, there is no second secret to configure, and the purposes never share a key.
 */
export function deriveSecret(privateKey: KeyObject, purpose: 'refresh-token-chain' | 'device-cookie'): Buffer {
  const material = privateKey.export({ format: 'der', type: 'pkcs8' });
  return Buffer.from(hkdfSync('sha256', material, 'crewdesk', purpose, 32));
}
