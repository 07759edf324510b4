import { createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

export interface SigningKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
  jwk: JWK;
}

const KEY_FILE = 'jwt-ed25519.pem';

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

export async function signingKeys(pem: string): Promise<SigningKeys> {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`JWT_PRIVATE_KEY must be an Ed25519 key, not ${privateKey.asymmetricKeyType}`);
  }
  const publicKey = createPublicKey(privateKey);
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, publicKey, kid, jwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
}

/**
 * A 256-bit secret for one purpose (HMAC keys for refresh-token chains, device cookies), derived
 * from the signing key with HKDF: every replica that can sign access tokens derives the same
 * secrets, there is no second secret to configure, and the purposes never share a key.
 */
export function deriveSecret(keys: SigningKeys, purpose: 'refresh-token-chain' | 'device-cookie'): Buffer {
  const material = keys.privateKey.export({ format: 'der', type: 'pkcs8' });
  return Buffer.from(hkdfSync('sha256', material, 'crewdesk', purpose, 32));
}
