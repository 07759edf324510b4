import { describe, expect, it } from 'vitest';
import { createMemoryCache } from './cache.js';

describe('memory cache', () => {
  it('stays within its size budget: large entries evict the least recently used ones', async () => {
    const cache = createMemoryCache(1_000, 10_000);
    const page = 'x'.repeat(3_000);
    for (let i = 0; i < 10; i++) await cache.set(`page:${i}`, page, 60);
    const kept = [];
    for (let i = 0; i < 10; i++) if ((await cache.get(`page:${i}`)) !== null) kept.push(i);
    expect(kept).toEqual([7, 8, 9]); // 3 × ~3,006 characters fit in 10,000
  });

  it('forgets an entry after its time to live', async () => {
    const cache = createMemoryCache();
    await cache.set('short', 'v', 0.05);
    expect(await cache.get('short')).toBe('v');
    await new Promise((r) => setTimeout(r, 80));
    expect(await cache.get('short')).toBeNull();
  });
});
