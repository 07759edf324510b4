import { uuidv7 } from 'uuidv7';
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
export class VersionedCache {
  constructor(private readonly cache: Cache) {}

  async read<T>(scope: string, key: string, compute: () => Promise<T>): Promise<T> {
    let entry: string;
    try {
      let version = await this.cache.get(`ver:${scope}`);
      if (version === null) {
        // A fresh version, never an old default, so an evicted version cannot revive old entries.
        version = uuidv7();
        await this.cache.set(`ver:${scope}`, version, VERSION_TTL_SECONDS);
      }
      entry = `cached:${scope}:${version}:${key}`;
      const hit = await this.cache.get(entry);
      if (hit !== null) return JSON.parse(hit) as T;
    } catch {
      return compute();
    }
    const value = await compute();
    await this.cache.set(entry, JSON.stringify(value), ENTRY_TTL_SECONDS).catch(() => {});
    return value;
  }

  /** Call after the write has committed, with every scope it changed. */
  async bump(...scopeNames: string[]): Promise<void> {
    await Promise.all(
      [...new Set(scopeNames)].map((scope) =>
        this.cache.set(`ver:${scope}`, uuidv7(), VERSION_TTL_SECONDS).catch(() => {}),
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
