import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../../shared/errors.js';

const WINDOW_SECONDS = 15 * 60;
/** The longest wait between two guesses at one account from browsers it does not know. */
const MAX_DELAY_SECONDS = WINDOW_SECONDS;

export interface LoginLimits {
  /** Failures per account and address, and per device cookie (per address: ten times this). */
  maxFailures: number;
  /** Failures per account from browsers without its device cookie before each guess waits longer. */
  accountMaxFailures: number;
}

/** One password check: whose, from where, and the device cookie's id when it is that account's. */
export interface PasswordAttempt {
  email: string;
  ip: string;
  device: string | null;
}

/** 1 s after the first failure past the limit, then 2 s, 4 s, … up to MAX_DELAY_SECONDS. */
const backoffSeconds = (excess: number) => Math.min(2 ** (excess - 1), MAX_DELAY_SECONDS);

const rateLimited = (ms: number) =>
  new AppError('rate_limited', 'Too many failed password attempts. Try again later.', {
    retryAfterSeconds: ms / 1000,
  });

/**
 * Failed password checks (sign-in, password change) are counted so that guessing is slow but the
 * owner is not locked out:
 *
 * - per account and address, and per address (ten times more generously): one attacker's address
 *   is stopped, and a team behind one NAT address still signs in;
 * - per account across addresses, for browsers that have never signed in to it: past the limit
 *   each further guess waits twice as long as the last (429 + Retry-After), so spreading guesses
 *   over many addresses no longer helps;
 * - a browser with the account's device cookie (OWASP "device cookies") skips both account counts
 *   and is counted on its own instead: the owner signs in normally while the account is under
 *   attack from elsewhere, and a stolen device cookie is stopped like an address.
 *
 * Every attempt is counted as a failure before the password is checked (one atomic increment), so
 * parallel attempts cannot all pass the check before any is recorded; a success or a refusal gives
 * the point back. With Redis the counts are shared by every replica; while Redis is unreachable
 * each process counts on its own.
 */
export class LoginLimiter {
  private readonly perAccountAddress: RateLimiterAbstract;
  private readonly perAddress: RateLimiterAbstract;
  private readonly perDevice: RateLimiterAbstract;
  private readonly perAccount: RateLimiterAbstract;
  /** Held by the one guess that may go ahead; its duration is the wait before the next. */
  private readonly accountTurn: RateLimiterAbstract;

  constructor(limits: LoginLimits, redis: Redis | null = null) {
    const limiter = (keyPrefix: string, points: number): RateLimiterAbstract => {
      const options = { keyPrefix, points, duration: WINDOW_SECONDS };
      const memory = new RateLimiterMemory(options);
      return redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory }) : memory;
    };
    this.perAccountAddress = limiter('login_fail_acct_ip', limits.maxFailures);
    this.perAddress = limiter('login_fail_ip', limits.maxFailures * 10);
    this.perDevice = limiter('login_fail_device', limits.maxFailures);
    this.perAccount = limiter('login_fail_acct', limits.accountMaxFailures);
    this.accountTurn = limiter('login_acct_turn', 1);
  }

  /** The counts this attempt is refused by, with their keys. */
  private limitsFor(a: PasswordAttempt): [RateLimiterAbstract, string][] {
    return a.device
      ? [
          [this.perDevice, a.device],
          [this.perAddress, a.ip],
        ]
      : [
          [this.perAccountAddress, `${a.email}|${a.ip}`],
          [this.perAddress, a.ip],
        ];
  }

  async assertAllowed(a: PasswordAttempt): Promise<void> {
    const limits = this.limitsFor(a);
    const counted: [RateLimiterAbstract, string][] = a.device ? limits : [...limits, [this.perAccount, a.email]];
    const results = await Promise.all(counted.map(([limiter, key]) => limiter.penalty(key, 1)));
    // A refused attempt is not a failed one: it must not push the counts (or the office's address) further.
    const giveBack = () => Promise.all(counted.map(([limiter, key]) => limiter.reward(key, 1)));

    const over = limits
      .map(([limiter], i) => [limiter, results[i]!] as const)
      .filter(([l, r]) => r.consumedPoints > l.points);
    if (over.length > 0) {
      await giveBack();
      throw rateLimited(Math.max(...over.map(([, r]) => r.msBeforeNext)));
    }
    if (a.device) return;

    const excess = results[limits.length]!.consumedPoints - this.perAccount.points;
    if (excess <= 0) return;
    try {
      await this.accountTurn.consume(a.email, 1, { customDuration: backoffSeconds(excess) });
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      await giveBack();
      throw rateLimited(err.msBeforeNext);
    }
  }

  /**
   * The password was right. The account-and-address (or device) count starts again; the count
   * across addresses only gets this attempt back, or the owner signing in elsewhere would hand an
   * attacker a fresh allowance.
   */
  async recordSuccess(a: PasswordAttempt): Promise<void> {
    await Promise.all(
      a.device
        ? [this.perDevice.delete(a.device), this.perAddress.reward(a.ip, 1)]
        : [
            this.perAccountAddress.delete(`${a.email}|${a.ip}`),
            this.perAddress.reward(a.ip, 1),
            this.perAccount.reward(a.email, 1),
          ],
    );
  }
}
