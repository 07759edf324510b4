import { describe, expect, it } from 'vitest';
import { createMemoryCache } from './cache.js';

describe('memory cache', () => {
  it('stays within its size budget: large entries evict the least recently used ones', async () => {
    const cache = createMemoryCache(10_000);
    const page = 'x'.repeat(3_000);
    for (let i = 0; i < 10; i++) await cache.set(`page:${i}`, page, 60);
    const kept = [];
    for (let i = 0; i < 10; i++) if ((await cache.get(`page:${i}`)) !== null) kept.push(i);
    expect(kept).toEqual([7, 8, 9]); // 3 × (~3,006 characters + 128 of overhead) fit in 10,000
  });

  it('bounds many tiny entries too: each counts its bookkeeping, not only its characters', async () => {
    const cache = createMemoryCache(10_000);
    for (let i = 0; i < 1_000; i++) await cache.set(`k${i}`, 'v', 60);
    let kept = 0;
    for (let i = 0; i < 1_000; i++) if ((await cache.get(`k${i}`)) !== null) kept++;
    expect(kept).toBeGreaterThan(50);
    expect(kept).toBeLessThanOrEqual(Math.floor(10_000 / 128)); // 78: not 1,000 one-character entries
    expect(await cache.get('k999')).toBe('v'); // the newest stay
  });

  it('forgets an entry after its time to live', async () => {
    const cache = createMemoryCache();
    await cache.set('short', 'v', 0.05);
    expect(await cache.get('short')).toBe('v');
    await new Promise((r) => setTimeout(r, 80));
    expect(await cache.get('short')).toBeNull();
  });
});
