import { describe, expect, it } from 'vitest';
import { HASH_CONCURRENCY, hashPassword, hashingLoad, verifyPassword } from './passwords.js';

describe('password hashing', () => {
  it('runs at most one hash per core but one at once; the others wait their turn and all finish right', async () => {
    const hash = await hashPassword('correct horse battery staple');
    let most = 0;
    const sample = setInterval(() => (most = Math.max(most, hashingLoad().active)), 1);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => verifyPassword(hash, i % 2 ? 'correct horse battery staple' : 'wrong')),
    );
    clearInterval(sample);
    expect(results).toEqual(Array.from({ length: 12 }, (_, i) => i % 2 === 1));
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(HASH_CONCURRENCY);
    expect(hashingLoad()).toEqual({ active: 0, pending: 0 });
  });
});
