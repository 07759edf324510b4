import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterAbstract,
  type RateLimiterRes,
} from 'rate-limiter-flexible';
import { AppError } from '../../shared/errors.js';

const WINDOW_SECONDS = 15 * 60;

/**
 * Failed sign-ins are counted per account-and-address, and (ten times more generously) per address.
 * A team behind one NAT address signs in normally, and an attacker elsewhere cannot lock a user out:
 * their failures are counted against their own address, never against the user's. With Redis the
 * counts are shared by every replica; while Redis is unreachable each process counts on its own.
 */
export class LoginLimiter {
  private readonly perAccountAddress: RateLimiterAbstract;
  private readonly perAddress: RateLimiterAbstract;

  constructor(maxFailures: number, redis: Redis | null = null) {
    const limiter = (keyPrefix: string, points: number): RateLimiterAbstract => {
      const options = { keyPrefix, points, duration: WINDOW_SECONDS };
      const memory = new RateLimiterMemory(options);
      return redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory }) : memory;
    };
    this.perAccountAddress = limiter('login_fail_acct_ip', maxFailures);
    this.perAddress = limiter('login_fail_ip', maxFailures * 10);
  }

  /**
   * Counts the attempt as a failure before the password is checked (one atomic increment), so
   * parallel attempts cannot all pass this check before any of them is recorded; a success or a
   * refusal here gives the point back.
   */
  async assertAllowed(email: string, ip: string): Promise<void> {
    const [pair, address] = await Promise.all([
      this.perAccountAddress.penalty(`${email}|${ip}`, 1),
      this.perAddress.penalty(ip, 1),
    ]);
    const blocked = [
      [pair, this.perAccountAddress.points],
      [address, this.perAddress.points],
    ].filter(([res, points]) => (res as RateLimiterRes).consumedPoints > (points as number)) as [
      RateLimiterRes,
      number,
    ][];
    if (blocked.length > 0) {
      // A refused attempt is not a failed sign-in: it must not push the counts (or the office's address) further.
      await Promise.all([this.perAccountAddress.reward(`${email}|${ip}`, 1), this.perAddress.reward(ip, 1)]);
      const wait = Math.max(...blocked.map(([res]) => res.msBeforeNext)) / 1000;
      throw new AppError('rate_limited', 'Too many failed sign-ins. Try again later.', { retryAfterSeconds: wait });
    }
  }

  async recordSuccess(email: string, ip: string): Promise<void> {
    await Promise.all([this.perAccountAddress.delete(`${email}|${ip}`), this.perAddress.reward(ip, 1)]);
  }
}
