import type { FastifyBaseLogger } from 'fastify';
import type { Cache } from '../../infra/cache/cache.js';
import type { Executor } from '../../infra/db/client.js';
import { AppError } from '../../shared/errors.js';
import type { SessionsRepository } from './sessions.repository.js';

const LIVE_TTL_SECONDS = 60;

/**
 * Answers "is this session still live?" on every authenticated request. Revocations have keys of
 * their own, checked first and never overwritten, so a liveness answer cached by a request racing a
 * logout cannot bring the session back. If the cache fails the database decides, and if the
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
    try {
      if ((await this.cache.get(`revoked:${sessionId}`)) !== null) return false;
      if ((await this.cache.get(`live:${sessionId}`)) !== null) return true;
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
    const [key, ttl] = live
      ? [`live:${sessionId}`, LIVE_TTL_SECONDS]
      : [`revoked:${sessionId}`, this.revokedTtlSeconds];
    await this.cache.set(key, '1', ttl).catch(() => {});
    return live;
  }

  /** Ends every session of a user (but `exceptId`) inside the caller's transaction; announce the ids after it commits. */
  endAllForUser(userId: string, tx: Executor, exceptId?: string): Promise<string[]> {
    return this.sessions.revokeAllForUser(userId, exceptId, tx);
  }

  /** Every request path refuses these sessions from now on. */
  async announce(sessionIds: string[]): Promise<void> {
    await Promise.all(
      sessionIds.map((id) =>
        this.cache.set(`revoked:${id}`, '1', this.revokedTtlSeconds).catch((err) => {
          // The database already says revoked; a cached 'live' answer expires within LIVE_TTL_SECONDS.
          this.log.error({ err, sessionId: id }, 'could not record revocation in the cache');
        }),
      ),
    );
  }
}
