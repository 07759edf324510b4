import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Signer } from '@fastify/cookie';

export const DEVICE_COOKIE_MAX_AGE_SECONDS = 180 * 24 * 3600;

/**
 * OWASP "Slow Down Online Guessing Attacks with Device Cookies": a browser that proved an
 * account's password gets a signed cookie naming that account (by an HMAC of its email, so the
 * cookie does not carry the address) and a random id. With it the browser's password checks are
 * counted per device instead of per account, so guesses at the account from elsewhere do not slow
 * its owner down. Only the server's key makes one; an expired or altered cookie is ignored.
 */
export class DeviceCookies {
  private readonly signer: Signer;
  private readonly keys: Buffer[];

  /** `key` signs; the `accepted` keys (a signing-key rotation's other side) still verify. */
  constructor(
    key: Buffer,
    private readonly now: () => number = Date.now,
    accepted: Buffer[] = [],
  ) {
    this.keys = [key, ...accepted];
    this.signer = new Signer(this.keys);
  }

  private accountTag(email: string, key = this.keys[0]!): string {
    return createHmac('sha256', key).update(`account:${email}`).digest('base64url').slice(0, 22);
  }

  issue(email: string): { value: string; maxAgeSeconds: number } {
    const issuedAt = Math.floor(this.now() / 1000);
    const payload = `${this.accountTag(email)}.${randomBytes(16).toString('base64url')}.${issuedAt}`;
    return { value: this.signer.sign(payload), maxAgeSeconds: DEVICE_COOKIE_MAX_AGE_SECONDS };
  }

  /** The device's id when `value` is a genuine, unexpired device cookie of this account; otherwise null. */
  recognise(value: string | null | undefined, email: string): string | null {
    if (!value) return null;
    const unsigned = this.signer.unsign(value);
    if (!unsigned.valid || !unsigned.value) return null;
    const [tag = '', id = '', issuedAt = '', ...rest] = unsigned.value.split('.');
    if (rest.length > 0 || !id) return null;
    const ours = this.keys.some((key) => {
      const expected = Buffer.from(this.accountTag(email, key));
      return Buffer.byteLength(tag) === expected.length && timingSafeEqual(Buffer.from(tag), expected);
    });
    if (!ours) return null;
    const age = this.now() / 1000 - Number(issuedAt);
    return Number.isFinite(age) && age >= 0 && age <= DEVICE_COOKIE_MAX_AGE_SECONDS ? id : null;
  }
}
