import { LRUCache } from 'lru-cache';

/**
 * Small key-value cache with expiry. Embedded mode keeps it in the process; production swaps in
 * Redis behind the same interface so every replica sees the same values.
 */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Entries of a superseded cache version are never read again and wait to be evicted, so the memory
 * cache is bounded by size: 32 Mi characters (32–64 MiB of string data, by how V8 stores them),
 * each entry counting its key, its value and ENTRY_OVERHEAD_CHARS for its bookkeeping, so many tiny
 * entries are bounded as surely as a few large ones (at most ~260,000 entries). No count limit:
 * lru-cache preallocates its arrays for one, which for 50,000 entries took ~30 ms of every start.
 */
const MEMORY_CACHE_CHARS = 32 * 1024 * 1024;
const ENTRY_OVERHEAD_CHARS = 128;

export function createMemoryCache(maxChars = MEMORY_CACHE_CHARS): Cache {
  const lru = new LRUCache<string, string>({
    maxSize: maxChars,
    sizeCalculation: (value, key) => value.length + key.length + ENTRY_OVERHEAD_CHARS,
    ttlAutopurge: false,
  });
  return {
    kind: 'memory',
    get: async (key) => lru.get(key) ?? null,
    set: async (key, value, ttlSeconds) => {
      lru.set(key, value, { ttl: ttlSeconds * 1000 });
    },
    del: async (key) => {
      lru.delete(key);
    },
    close: async () => {
      lru.clear();
    },
  };
}

/** The same cache, telling `record` whether each lookup found its key (the hit-rate metric). */
export function countLookups(cache: Cache, record: (result: 'hit' | 'miss') => void): Cache {
  return {
    kind: cache.kind,
    get: async (key) => {
      const value = await cache.get(key);
      record(value === null ? 'miss' : 'hit');
      return value;
    },
    set: (key, value, ttlSeconds) => cache.set(key, value, ttlSeconds),
    del: (key) => cache.del(key),
    close: () => cache.close(),
  };
}
