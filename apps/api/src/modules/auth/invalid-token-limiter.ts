import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../../shared/errors.js';

const WINDOW_SECONDS = 15 * 60;

/**
 * Bearer tokens that fail verification, counted per address: past the limit, that address's
 * tokens are refused (429 + Retry-After) before their signature is even checked, so nobody can
 * try tokens at the API's full speed. Expired tokens are not counted (their signature was good:
 * a browser that slept, not a guess), nor are tokens of ended sessions.
 */
export class InvalidTokenLimiter {
  private readonly perAddress: RateLimiterAbstract;

  constructor(maxFailures: number, redis: Redis | null = null) {
    const options = { keyPrefix: 'bearer_fail_ip', points: maxFailures, duration: WINDOW_SECONDS };
    const memory = new RateLimiterMemory(options);
    this.perAddress = redis
      ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory })
      : memory;
  }

  async assertAllowed(ip: string): Promise<void> {
    const res = await this.perAddress.get(ip);
    if (res && res.consumedPoints >= this.perAddress.points) {
      throw new AppError('rate_limited', 'Too many invalid access tokens from this address. Try again later.', {
        retryAfterSeconds: res.msBeforeNext / 1000,
      });
    }
  }

  async recordFailure(ip: string): Promise<void> {
    await this.perAddress.penalty(ip, 1);
  }
}
