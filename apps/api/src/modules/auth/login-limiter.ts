import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../../shared/errors.js';

const WINDOW_SECONDS = 15 * 60;

/**
 * Failed sign-ins are counted per account-and-address, and (ten times more generously) per address.
 * A team behind one NAT address signs in normally, and an attacker elsewhere cannot lock a user out:
 * their failures are counted against their own address, never against the user's.
 */
export class LoginLimiter {
  private readonly perAccountAddress: RateLimiterMemory;
  private readonly perAddress: RateLimiterMemory;

  constructor(maxFailures: number) {
    this.perAccountAddress = new RateLimiterMemory({
      keyPrefix: 'login_fail_acct_ip',
      points: maxFailures,
      duration: WINDOW_SECONDS,
    });
    this.perAddress = new RateLimiterMemory({
      keyPrefix: 'login_fail_ip',
      points: maxFailures * 10,
      duration: WINDOW_SECONDS,
    });
  }

  async assertAllowed(email: string, ip: string): Promise<void> {
    const [pair, address] = await Promise.all([this.perAccountAddress.get(`${email}|${ip}`), this.perAddress.get(ip)]);
    const blocked = [
      [pair, this.perAccountAddress.points],
      [address, this.perAddress.points],
    ].filter(([res, points]) => res && (res as RateLimiterRes).consumedPoints >= (points as number)) as [
      RateLimiterRes,
      number,
    ][];
    if (blocked.length > 0) {
      const wait = Math.max(...blocked.map(([res]) => res.msBeforeNext)) / 1000;
      throw new AppError('rate_limited', 'Too many failed sign-ins. Try again later.', { retryAfterSeconds: wait });
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    await Promise.all([this.perAccountAddress.penalty(`${email}|${ip}`, 1), this.perAddress.penalty(ip, 1)]);
  }

  async recordSuccess(email: string, ip: string): Promise<void> {
    await this.perAccountAddress.delete(`${email}|${ip}`);
  }
}
