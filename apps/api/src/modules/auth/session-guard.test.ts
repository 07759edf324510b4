import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../infra/cache/cache.js';
import { SessionGuard } from './session-guard.js';
import type { SessionsRepository } from './sessions.repository.js';

describe('session guard', () => {
  it('a revocation that lands while a request is reading the database is not undone by that request', async () => {
    let answer!: (live: boolean) => void;
    const sessions = {
      isLive: () => new Promise<boolean>((resolve) => (answer = resolve)),
    } as unknown as SessionsRepository;
    const guard = new SessionGuard(createMemoryCache(), sessions, 900, pino({ level: 'silent' }));

    const racing = guard.isLive('s1'); // reads the database: the session is still live at this moment
    await new Promise((r) => setImmediate(r));
    await guard.announce(['s1']); // logout commits meanwhile
    answer(true);
    expect(await racing).toBe(true); // that request was already past the check
    expect(await guard.isLive('s1')).toBe(false); // but the next one is refused
  });

  it('fails closed: no cache and no database means 503, never "live"', async () => {
    const broken = { get: () => Promise.reject(new Error('down')), set: () => Promise.reject(new Error('down')) };
    const sessions = { isLive: () => Promise.reject(new Error('down')) } as unknown as SessionsRepository;
    const guard = new SessionGuard(broken as never, sessions, 900, pino({ level: 'silent' }));
    await expect(guard.isLive('s1')).rejects.toMatchObject({ code: 'unavailable' });
  });
});
