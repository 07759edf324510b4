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
export class RefreshTokens {
  constructor(private readonly key: Buffer) {}

  first(sessionId: string): { token: string; hash: string } {
    const token = `${sessionId}.${randomBytes(32).toString('base64url')}`;
    return { token, hash: hashToken(token) };
  }

  next(token: string): { token: string; hash: string } {
    const next = `${this.sessionIdOf(token)}.${createHmac('sha256', this.key).update(token).digest('base64url')}`;
    return { token: next, hash: hashToken(next) };
  }

  sessionIdOf(token: string): string | null {
    return SHAPE.exec(token)?.[1] ?? null;
  }

  /**
   * How many rotations ago `token` was the session's current one: 0 when it still is, null when
   * the session never issued it (looking back at most `rotations` steps).
   */
  rotationsBehind(token: string, currentHash: string, rotations: number): number | null {
    let candidate = { token, hash: hashToken(token) };
    for (let behind = 0; behind <= Math.min(rotations, MAX_CHAIN_STEPS); behind++) {
      if (candidate.hash === currentHash) return behind;
      candidate = this.next(candidate.token);
    }
    return null;
  }
}
