import { newId } from '../../shared/ids.js';
import type { Cache } from './cache.js';

/** How long a computed answer is kept; also bounds staleness should a version bump be lost. */
const ENTRY_TTL_SECONDS = 60;
const VERSION_TTL_SECONDS = 24 * 3600;

/**
 * Cache-aside for computed answers (stats) without key scans: entries of a scope (a user's tasks,
 * the leads) are stored under the scope's current version, and every write to the scope bumps the
 * version after it commits, so older entries are simply never read again and expire. Cache
 * failures fall through to computing the answer.
 */
/**
 * With a read replica: how to compute an answer on the primary, and for how long after a write to a
 * scope its answers must be (the replica's lag bound).
 */
export interface FreshReads {
  windowMs: number;
  onPrimary<T>(compute: () => Promise<T>): Promise<T>;
}

/** The millisecond timestamp a uuidv7 begins with: when the version was made, that is when the scope was last written. */
const timeOf = (uuid: string) => parseInt(uuid.slice(0, 8) + uuid.slice(9, 13), 16);

export class VersionedCache {
  constructor(
    private readonly cache: Cache,
    private readonly fresh: FreshReads | null = null,
  ) {}

  /**
   * An answer computed from a replica that has not replayed the scope's last write yet would be
   * kept under the new version, for everyone, until it expires: so while the version is younger
   * than the replica's lag bound (or the cache cannot say), the answer is computed on the primary.
   */
  private computeFor<T>(found: { version: string; made: boolean } | null, compute: () => Promise<T>): Promise<T> {
    if (!this.fresh) return compute();
    // A version made by this lookup marks no write: the scope was not written for a day.
    const recent = !found || (!found.made && Date.now() - timeOf(found.version) < this.fresh.windowMs);
    return recent ? this.fresh.onPrimary(compute) : compute();
  }

  async read<T>(scope: string, key: string, compute: () => Promise<T>): Promise<T> {
    const found = await this.lookup(scope, key);
    if (found?.hit != null) return JSON.parse(found.hit) as T;
    const value = await this.computeFor(found, compute);
    if (found) await this.cache.set(found.entry, JSON.stringify(value), ENTRY_TTL_SECONDS).catch(() => {});
    return value;
  }

  /**
   * The same for an answer kept as the text it is sent as (a serialised JSON body): a hit is
   * returned as stored, neither parsed nor serialised again.
   */
  async readText(scope: string, key: string, compute: () => Promise<string>): Promise<string> {
    const found = await this.lookup(scope, key);
    if (found?.hit != null) return found.hit;
    const text = await this.computeFor(found, compute);
    if (found) await this.cache.set(found.entry, text, ENTRY_TTL_SECONDS).catch(() => {});
    return text;
  }

  /** The entry's key under the scope's current version and what it holds; null when the cache failed. */
  private async lookup(
    scope: string,
    key: string,
  ): Promise<{ entry: string; version: string; made: boolean; hit: string | null } | null> {
    try {
      let version = await this.cache.get(`ver:${scope}`);
      const made = version === null;
      if (version === null) {
        // A fresh version, never an old default, so an evicted version cannot revive old entries.
        version = newId();
        await this.cache.set(`ver:${scope}`, version, VERSION_TTL_SECONDS);
      }
      const entry = `cached:${scope}:${version}:${key}`;
      return { entry, version, made, hit: await this.cache.get(entry) };
    } catch {
      return null;
    }
  }

  /** Call after the write has committed, with every scope it changed. */
  async bump(...scopeNames: string[]): Promise<void> {
    await Promise.all(
      [...new Set(scopeNames)].map((scope) =>
        this.cache.set(`ver:${scope}`, newId(), VERSION_TTL_SECONDS).catch(() => {}),
      ),
    );
  }
}

/** The scopes in use. */
export const scopes = {
  tasksOf: (ownerId: string) => `tasks:${ownerId}`,
  /** Every lead: what admins read. */
  leads: 'leads',
  /** One agent's leads: what that agent reads. */
  leadsOf: (agentId: string) => `leads:${agentId}`,
} as const;

/** The scopes a change to leads held by these agents makes stale: each agent's, and every lead's. */
export function leadScopes(agentIds: Iterable<string | null | undefined>): string[] {
  const agents = [...agentIds].filter((id): id is string => Boolean(id));
  return [scopes.leads, ...agents.map(scopes.leadsOf)];
}

/** A stable key for a query: its defined fields in name order, so equal queries share an entry. */
export function cacheKeyOf(query: Record<string, unknown>): string {
  const defined = Object.keys(query)
    .filter((k) => query[k] !== undefined)
    .sort()
    .map((k) => [k, query[k]]);
  return JSON.stringify(defined);
}
