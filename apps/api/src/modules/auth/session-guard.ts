import type { FastifyBaseLogger } from 'fastify';
import type { Cache } from '../../infra/cache/cache.js';
import { AppError } from '../../shared/errors.js';
import type { SessionsRepository } from './sessions.repository.js';

const LIVE_TTL_SECONDS = 60;

/**
 * Answers "is this session still live?" on every authenticated request. The cache holds the
 * answer; a revocation overwrites it at once. If the cache fails the database decides, and if the
 * database fails too the request fails: it never fails open.
 */
export class SessionGuard {
  constructor(
    private readonly cache: Cache,
    private readonly sessions: SessionsRepository,
    private readonly revokedTtlSeconds: number,
    private readonly log: FastifyBaseLogger,
  ) {}

  async isLive(sessionId: string): Promise<boolean> {
    const key = `session:${sessionId}`;
    try {
      const cached = await this.cache.get(key);
      if (cached !== null) return cached === 'live';
    } catch (err) {
      this.log.warn({ err }, 'session cache unavailable; asking the database');
    }
    let live: boolean;
    try {
      live = await this.sessions.isLive(sessionId);
    } catch (err) {
      this.log.error({ err }, 'cannot check session revocation');
      throw new AppError('unavailable', 'Cannot verify the session right now');
    }
    await this.cache
      .set(key, live ? 'live' : 'revoked', live ? LIVE_TTL_SECONDS : this.revokedTtlSeconds)
      .catch(() => {});
    return live;
  }

  async markRevoked(sessionIds: string[]): Promise<void> {
    await Promise.all(
      sessionIds.map((id) =>
        this.cache.set(`session:${id}`, 'revoked', this.revokedTtlSeconds).catch((err) => {
          // The database already says revoked; a stale 'live' entry expires within LIVE_TTL_SECONDS.
          this.log.error({ err, sessionId: id }, 'could not record revocation in the cache');
        }),
      ),
    );
  }
}
