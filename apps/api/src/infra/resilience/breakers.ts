import CircuitBreaker from 'opossum';
import { AppError } from '../../shared/errors.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** A call slower than this counts as a failure (and is abandoned by the caller). */
  timeoutMs: number;
  /** How long the breaker stays open before it lets one trial call through. */
  resetMs: number;
}

/**
 * The process's circuit breakers, one per dependency, so /health and /metrics can show their states.
 * A breaker opens when half the calls in its 10-second window fail (after at least 5), answers at
 * once while open, and closes again after a trial call succeeds.
 */
export type Breaker = CircuitBreaker<[() => Promise<unknown>], unknown>;

/** A breaker that runs whatever call it is given: `await breaker.fire(() => call())`. */
export function createBreaker(name: string, { timeoutMs, resetMs }: BreakerOptions): Breaker {
  return new CircuitBreaker((call: () => Promise<unknown>) => call(), {
    name,
    // false: the call bounds its own time (a connect that outlived an abandoned wait would leak).
    timeout: timeoutMs > 0 ? timeoutMs : false,
    resetTimeout: resetMs,
    errorThresholdPercentage: 50,
    volumeThreshold: 5,
    rollingCountTimeout: 10_000,
    rollingCountBuckets: 10,
  });
}

/** Runs `call` through the breaker, typed. */
export function guarded<T>(breaker: Breaker, call: () => Promise<T>): Promise<T> {
  return breaker.fire(call) as Promise<T>;
}

export class Breakers {
  private readonly all = new Map<string, Breaker>();
  private readonly owned = new Set<Breaker>();

  /**
   * Registers a breaker under a name. `owned`: the app made it and shuts it down on close; the
   * database's belongs to the database handle (shared by apps in tests), which closes it.
   */
  add(name: string, breaker: Breaker, owned = true): Breaker {
    this.all.set(name, breaker);
    if (owned) this.owned.add(breaker);
    return breaker;
  }

  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.all].map(([name, b]) => [name, stateOf(b)]));
  }

  entries(): [string, Breaker][] {
    return [...this.all];
  }

  shutdown() {
    for (const b of this.owned) b.shutdown();
  }
}

export function stateOf(b: CircuitBreaker): BreakerState {
  return b.opened ? 'open' : b.halfOpen ? 'half-open' : 'closed';
}

/** Whether an error is a breaker refusing (open) or abandoning (timeout) a call. */
export function isBreakerError(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'EOPENBREAKER' || code === 'ETIMEDOUT' || code === 'ESEMILOCKED';
}

/** The answer a request gets when a dependency it needs is down: 503 with Retry-After. */
export function unavailable(what: string, retryAfterSeconds: number): AppError {
  return new AppError('unavailable', `The ${what} is unavailable; try again shortly`, {
    retryAfterSeconds,
  });
}
