import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hashToken } from './tokens.js';

/**
 * The one-time token that lets the first person to open the setup link create the first admin.
 * It lives in this process only and dies when used or when an admin exists.
 */
export class SetupTokens {
  private hash: Buffer | null = null;

  issue(): string {
    const token = randomBytes(24).toString('base64url');
    this.hash = Buffer.from(hashToken(token));
    return token;
  }

  matches(token: string): boolean {
    if (!this.hash) return false;
    const presented = Buffer.from(hashToken(token));
    return presented.length === this.hash.length && timingSafeEqual(presented, this.hash);
  }

  get pending(): boolean {
    return this.hash !== null;
  }

  consume() {
    this.hash = null;
  }
}
