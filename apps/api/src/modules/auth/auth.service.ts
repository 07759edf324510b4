import type { LoginBody, RegisterBody, Session, SetupBody, User } from '@crewdesk/contracts';
import { uuidv7 } from 'uuidv7';
import type { Actor } from '../../shared/access.js';
import { AppError, fieldError, notFound } from '../../shared/errors.js';
import { iso } from '../../shared/time.js';
import type { UsersService } from '../users/index.js';
import type { LoginLimiter } from './login-limiter.js';
import type { SessionGuard } from './session-guard.js';
import type { SessionsRepository } from './sessions.repository.js';
import type { SetupTokens } from './setup-tokens.js';
import { hashToken, newRefreshToken, sessionIdOf, type AccessTokens } from './tokens.js';

/** Concurrent refreshes of one token (several tabs, a flaky network) within this window are not theft. */
export const REFRESH_GRACE_SECONDS = 10;

export interface ClientMeta {
  ip: string;
  userAgent: string | null;
}

export interface IssuedSession {
  accessToken: string;
  expiresIn: number;
  /** Present when the browser must store a new refresh cookie. */
  refresh?: { token: string; maxAgeSeconds: number };
}

export interface AuthServiceDeps {
  users: UsersService;
  sessions: SessionsRepository;
  guard: SessionGuard;
  tokens: AccessTokens;
  limiter: LoginLimiter;
  setupTokens: SetupTokens;
  refreshTtlSeconds: number;
  allowRegistration: boolean;
}

const invalidCredentials = () => new AppError('unauthorized', 'Email or password is incorrect');
const sessionEnded = () => new AppError('unauthorized', 'Your session has ended; sign in again');

export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

  private async startSession(user: User, meta: ClientMeta): Promise<IssuedSession> {
    const id = uuidv7();
    const { token, hash } = newRefreshToken(id);
    await this.deps.sessions.create({
      id,
      userId: user.id,
      tokenHash: hash,
      expiresAt: new Date(Date.now() + this.deps.refreshTtlSeconds * 1000),
      userAgent: meta.userAgent?.slice(0, 400) ?? null,
      ip: meta.ip,
    });
    return {
      accessToken: await this.deps.tokens.sign(user, id),
      expiresIn: this.deps.tokens.ttlSeconds,
      refresh: { token, maxAgeSeconds: this.deps.refreshTtlSeconds },
    };
  }

  async register(body: RegisterBody, meta: ClientMeta) {
    if (!this.deps.allowRegistration) throw new AppError('forbidden', 'Sign-up is closed; ask an admin for an account');
    const user = await this.deps.users.createAccount({ ...body, role: 'member' });
    return { user, ...(await this.startSession(user, meta)) };
  }

  /** The same answer, after the same argon2 work, whether the email is unknown or the password wrong. */
  async login(body: LoginBody, meta: ClientMeta) {
    await this.deps.limiter.assertAllowed(body.email, meta.ip);
    const user = await this.deps.users.checkCredentials(body.email, body.password);
    if (!user?.active) throw invalidCredentials();
    await this.deps.limiter.recordSuccess(body.email, meta.ip);
    return { user, ...(await this.startSession(user, meta)) };
  }

  async refresh(refreshToken: string | undefined): Promise<IssuedSession> {
    const sessionId = refreshToken ? sessionIdOf(refreshToken) : null;
    if (!refreshToken || !sessionId) throw new AppError('unauthorized', 'No refresh session; sign in');
    const presented = hashToken(refreshToken);
    const next = newRefreshToken(sessionId);
    const rotated = await this.deps.sessions.rotate(sessionId, presented, next.hash);
    if (rotated) {
      const user = await this.deps.users.findById(rotated.userId);
      if (!user?.active) throw sessionEnded();
      const remaining = Math.floor((rotated.expiresAt.getTime() - Date.now()) / 1000);
      return {
        accessToken: await this.deps.tokens.sign(user, sessionId),
        expiresIn: this.deps.tokens.ttlSeconds,
        refresh: { token: next.token, maxAgeSeconds: remaining },
      };
    }

    const found = await this.deps.sessions.findWithAge(sessionId);
    if (!found || found.session.revokedAt || found.expired) throw sessionEnded();
    const { session, rotatedSecondsAgo } = found;
    if (
      session.previousTokenHash === presented &&
      rotatedSecondsAgo !== null &&
      rotatedSecondsAgo <= REFRESH_GRACE_SECONDS
    ) {
      // Lost a race with a sibling request that already rotated this token: hand out an access
      // token but no cookie, so the browser keeps the winner's refresh token.
      const user = await this.deps.users.findById(session.userId);
      if (!user?.active) throw sessionEnded();
      return { accessToken: await this.deps.tokens.sign(user, sessionId), expiresIn: this.deps.tokens.ttlSeconds };
    }
    // A token of this family that is no longer current: someone replayed it. End the whole family.
    const revoked = await this.deps.sessions.revoke(sessionId);
    await this.deps.guard.announce(revoked);
    throw new AppError('unauthorized', 'This refresh token was already used; the session has been ended for safety');
  }

  /** Ends every session the caller proves it holds: the bearer token's, and the cookie's when its hash matches. */
  async logout(refreshToken: string | undefined, actor: Actor | null) {
    const ended = new Set<string>();
    if (actor) ended.add(actor.sessionId);
    const cookieSession = refreshToken ? sessionIdOf(refreshToken) : null;
    if (refreshToken && cookieSession && !ended.has(cookieSession)) {
      // A forged cookie naming someone else's session id does not end it.
      const found = await this.deps.sessions.findWithAge(cookieSession);
      const hash = hashToken(refreshToken);
      if (found && (found.session.tokenHash === hash || found.session.previousTokenHash === hash))
        ended.add(cookieSession);
    }
    for (const id of ended) await this.deps.guard.announce(await this.deps.sessions.revoke(id));
  }

  async logoutAll(actor: Actor) {
    await this.deps.guard.announce(await this.deps.sessions.revokeAllForUser(actor.id));
  }

  async setup(body: SetupBody, meta: ClientMeta) {
    if (!this.deps.setupTokens.matches(body.token)) {
      throw new AppError('forbidden', 'This setup link is not valid or has already been used');
    }
    const user = await this.deps.users.createFirstAdmin({
      email: body.email,
      name: body.name,
      password: body.password,
    });
    this.deps.setupTokens.consume();
    return { user, ...(await this.startSession(user, meta)) };
  }

  /** Whether first-admin setup is pending; an admin made elsewhere (another replica, the CLI) ends it too. */
  async setupStatus() {
    if (this.deps.setupTokens.pending && (await this.deps.users.hasActiveAdmin())) this.deps.setupTokens.consume();
    return { setupRequired: this.deps.setupTokens.pending, registrationOpen: this.deps.allowRegistration };
  }

  /** Anyone holding the old password's sessions is signed out; this device stays signed in. */
  async changePassword(actor: Actor, currentPassword: string, newPassword: string) {
    if (!(await this.deps.users.checkPassword(actor.id, currentPassword))) {
      throw fieldError('currentPassword', 'The current password is not correct');
    }
    if (currentPassword === newPassword)
      throw fieldError('newPassword', 'Choose a password different from the current one');
    await this.deps.users.setPassword(actor.id, newPassword, actor.sessionId);
  }

  async listSessions(actor: Actor): Promise<Session[]> {
    const rows = await this.deps.sessions.listLive(actor.id);
    return rows.map((s) => ({
      id: s.id,
      createdAt: iso(s.createdAt),
      lastUsedAt: iso(s.lastUsedAt),
      userAgent: s.userAgent,
      ip: s.ip,
      current: s.id === actor.sessionId,
    }));
  }

  async revokeSession(actor: Actor, sessionId: string) {
    const revoked = await this.deps.sessions.revoke(sessionId, actor.id);
    if (revoked.length === 0) throw notFound('Session');
    await this.deps.guard.announce(revoked);
  }
}
