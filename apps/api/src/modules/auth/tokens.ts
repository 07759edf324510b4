import { createHash, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors, type JWK, type JWTHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import { role as roleSchema, type Role } from '@crewdesk/contracts';
import type { Actor } from '../../shared/access.js';
import { AppError } from '../../shared/errors.js';
import type { AcceptedKey, SigningKeys } from './keys.js';

export interface TokenSettings {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
}

export const ALGORITHM = 'EdDSA';

/** A bearer token that proves nothing; `expired` when it was genuine once (its signature checked out). */
export class InvalidAccessToken extends AppError {
  constructor(readonly expired: boolean) {
    super('unauthorized', expired ? 'The access token has expired' : 'The access token is not valid');
  }
}
const TOKEN_TYPE = 'at+jwt';

/**
 * Access tokens: Ed25519 JWTs, verified with public keys only, algorithm pinned. They are signed
 * with `keys`; those of the accepted keys (a rotation's previous or next key) verify too, picked
 * by the token's `kid`, and the JWKS publishes them all.
 */
export class AccessTokens {
  // Verifying a signature costs ~50 µs; a verified token is reused until it expires.
  private readonly verified = new LRUCache<string, Actor & { exp: number }>({ max: 20_000 });

  constructor(
    readonly keys: SigningKeys,
    private readonly settings: TokenSettings,
    readonly accepted: AcceptedKey[] = [],
    private readonly now: () => number = Date.now,
  ) {}

  /** The public key that verifies a token signed under `kid` now, if any. */
  private verifier(kid: string | undefined): KeyObject | null {
    if (kid === this.keys.kid) return this.keys.publicKey;
    const key = this.accepted.find((k) => k.kid === kid);
    return key && (key.verifiesUntil === null || key.verifiesUntil > this.now()) ? key.publicKey : null;
  }

  /** The JSON Web Key Set: the signing key first, then every accepted key whose tokens still verify. */
  jwks(): { keys: JWK[] } {
    const accepted = this.accepted.filter((k) => k.verifiesUntil === null || k.verifiesUntil > this.now());
    return { keys: [this.keys.jwk, ...accepted.map((k) => k.jwk)] };
  }

  get ttlSeconds() {
    return this.settings.accessTtlSeconds;
  }

  async sign(user: { id: string; role: Role }, sessionId: string): Promise<string> {
    return new SignJWT({ role: user.role, sid: sessionId })
      .setProtectedHeader({ alg: ALGORITHM, typ: TOKEN_TYPE, kid: this.keys.kid })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(user.id)
      .setIssuedAt()
      .setJti(randomBytes(9).toString('base64url'))
      .setExpirationTime(`${this.settings.accessTtlSeconds}s`)
      .sign(this.keys.privateKey);
  }

  /** The actor of a token this process has already verified and that has not expired yet. */
  known(token: string): Actor | null {
    const hit = this.verified.get(token);
    return hit && hit.exp > Math.floor(Date.now() / 1000)
      ? { id: hit.id, role: hit.role, sessionId: hit.sessionId }
      : null;
  }

  async verify(token: string): Promise<Actor> {
    const known = this.known(token);
    if (known) return known;
    try {
      const key = (header: JWTHeaderParameters) => {
        const found = this.verifier(header.kid);
        if (!found) throw new Error('unknown key id');
        return found;
      };
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        typ: TOKEN_TYPE,
        requiredClaims: ['sub', 'sid', 'role', 'exp', 'iat'],
      });
      const role = roleSchema.safeParse(payload.role);
      if (!role.success || typeof payload.sid !== 'string' || typeof payload.sub !== 'string') {
        throw new Error('malformed claims');
      }
      const actor: Actor = { id: payload.sub, role: role.data, sessionId: payload.sid };
      this.verified.set(token, { ...actor, exp: payload.exp as number });
      return actor;
    } catch (err) {
      // jose checks the signature before the claims, so an expired token was a genuine one.
      throw new InvalidAccessToken(err instanceof joseErrors.JWTExpired);
    }
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
