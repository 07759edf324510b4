import { createHmac, randomBytes } from 'node:crypto';
import { hashToken } from './tokens.js';

const SHAPE = /^([0-9a-f-]{36})\.[A-Za-z0-9_-]{43}$/;

/**
 * How far back a presented token is followed. A session refreshed every 15 minutes rotates about
 * 700 times in its 7 days; a walk this long costs a few milliseconds, and only a session whose own
 * holder rotated it thousands of times makes it walk that far.
 */
export const MAX_CHAIN_STEPS = 5_000;

/**
 * Refresh tokens are `<session id>.<256 bits>`, and only their SHA-256 is stored. The first of a
 * session is random; each rotation derives the next one as HMAC(server key, previous token). So
 * every token a session ever issued leads, step by step, to the one it holds now, and the server
 * recognises any of them from the current hash and the rotation count alone, while a guessed
 * secret leads nowhere. Without the key, holding one token gives no way to compute the next.
 */
/**
 * How far back a chain that switched keys (a rotation of the signing key happened while the session
 * lived) is followed: a replayed token from before the switch is recognised within this many
 * rotations of it; beyond, it is refused without being recognised as the session's.
 */
export const MAX_SWITCHED_CHAIN_STEPS = 16;

export class RefreshTokens {
  /**
   * `key` derives each next token; `accepted` are the keys of a signing-key rotation's other side,
   * whose chains are still followed, so a rotation neither signs anyone out nor hides a replay.
   */
  constructor(
    private readonly key: Buffer,
    private readonly accepted: Buffer[] = [],
  ) {}

  first(sessionId: string): { token: string; hash: string } {
    const token = `${sessionId}.${randomBytes(32).toString('base64url')}`;
    return { token, hash: hashToken(token) };
  }

  next(token: string): { token: string; hash: string } {
    return this.step(token, this.key);
  }

  private step(token: string, key: Buffer): { token: string; hash: string } {
    const next = `${this.sessionIdOf(token)}.${createHmac('sha256', key).update(token).digest('base64url')}`;
    return { token: next, hash: hashToken(next) };
  }

  sessionIdOf(token: string): string | null {
    return SHAPE.exec(token)?.[1] ?? null;
  }

  /**
   * How many rotations ago `token` was the session's current one: 0 when it still is, null when
   * the session never issued it (looking back at most `rotations` steps). A chain is followed under
   * each key, and across one switch from an accepted key to the current one (the rotation of the
   * signing key in between two refreshes of the session).
   */
  rotationsBehind(token: string, currentHash: string, rotations: number): number | null {
    const limit = Math.min(rotations, MAX_CHAIN_STEPS);
    const start = { token, hash: hashToken(token) };
    if (start.hash === currentHash) return 0;
    const keys = [this.key, ...this.accepted];
    for (const key of keys) {
      let candidate = start;
      for (let behind = 1; behind <= limit; behind++) {
        candidate = this.step(candidate.token, key);
        if (candidate.hash === currentHash) return behind;
      }
    }
    // Before the switch under an accepted key, after it under the current key (or the other way
    // round, for a replica that has not switched yet).
    const switched = Math.min(limit, MAX_SWITCHED_CHAIN_STEPS);
    for (const before of keys) {
      for (const after of keys) {
        if (before === after) continue;
        let old = start;
        for (let stepsBefore = 1; stepsBefore < switched; stepsBefore++) {
          old = this.step(old.token, before);
          let candidate = old;
          for (let behind = stepsBefore + 1; behind <= switched; behind++) {
            candidate = this.step(candidate.token, after);
            if (candidate.hash === currentHash) return behind;
          }
        }
      }
    }
    return null;
  }
}
