import type { LoginBody, RegisterBody, Session, SetupBody, User } from '@crewdesk/contracts';
import { newId } from '../../shared/ids.js';
import type { Actor } from '../../shared/access.js';
import { AppError, fieldError, notFound } from '../../shared/errors.js';
import { iso } from '../../shared/time.js';
import type { UsersService } from '../users/index.js';
import type { DeviceCookies } from './device-cookies.js';
import type { LoginLimiter, PasswordAttempt } from './login-limiter.js';
import type { RefreshTokens } from './refresh-tokens.js';
import type { SessionGuard } from './session-guard.js';
import type { SessionsRepository } from './sessions.repository.js';
import type { SetupTokens } from './setup-tokens.js';
import { hashToken, type AccessTokens } from './tokens.js';

/** Concurrent refreshes of one token (several tabs, a flaky network) within this window are not theft. */
export const REFRESH_GRACE_SECONDS = 10;

export interface ClientMeta {
  ip: string;
  userAgent: string | null;
  /** The device cookie the browser sent, as it sent it. */
  deviceCookie: string | null;
}

export interface IssuedSession {
  accessToken: string;
  expiresIn: number;
  /** Present when the browser must store a new refresh cookie. */
  refresh?: { token: string; maxAgeSeconds: number };
  /** Present when the browser proved an account's password: its device cookie for that account. */
  device?: { value: string; maxAgeSeconds: number };
}

export interface AuthServiceDeps {
  users: UsersService;
  sessions: SessionsRepository;
  guard: SessionGuard;
  tokens: AccessTokens;
  refreshTokens: RefreshTokens;
  limiter: LoginLimiter;
  devices: DeviceCookies;
  setupTokens: SetupTokens;
  refreshTtlSeconds: number;
  /** Whether public sign-up is open now (the workspace setting; ALLOW_REGISTRATION until an admin saves one). */
  publicSignup: () => Promise<boolean>;
}

const invalidCredentials = () => new AppError('unauthorized', 'Email or password is incorrect');
const deactivated = () =>
  new AppError('account_deactivated', 'This account has been deactivated; ask an admin to reactivate it');
const sessionEnded = () => new AppError('unauthorized', 'Your session has ended; sign in again');

export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

  private async startSession(user: User, meta: ClientMeta): Promise<IssuedSession> {
    const id = newId();
    const { token, hash } = this.deps.refreshTokens.first(id);
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
      // Whoever signs in here proved the password: this browser is one the account knows.
      device: this.deps.devices.issue(user.email),
    };
  }

  private attempt(email: string, meta: ClientMeta): PasswordAttempt {
    return { email, ip: meta.ip, device: this.deps.devices.recognise(meta.deviceCookie, email) };
  }

  /**
   * The session a refresh cookie proves its holder has: any token that session ever issued (a
   * replayed one too, since ending the session shuts out a thief as well). A guessed token proves
   * nothing, whichever session it names.
   */
  private async provesSession(refreshToken: string | undefined): Promise<string | null> {
    const id = refreshToken ? this.deps.refreshTokens.sessionIdOf(refreshToken) : null;
    if (!refreshToken || !id) return null;
    const found = await this.deps.sessions.findWithAge(id);
    if (!found) return null;
    const { tokenHash, generation } = found.session;
    return this.deps.refreshTokens.rotationsBehind(refreshToken, tokenHash, generation) === null ? null : id;
  }

  async register(body: RegisterBody, meta: ClientMeta) {
    if (!(await this.deps.publicSignup()))
      throw new AppError('forbidden', 'Sign-up is closed; ask an admin of this workspace for an account');
    const user = await this.deps.users.createAccount({ ...body, role: 'member' });
    return { user, ...(await this.startSession(user, meta)) };
  }

  /**
   * The same answer, after the same argon2 work, whether the email is unknown or the password wrong
   * (a deactivated account's included). Only the right password for a deactivated account is told
   * so: it proves nothing an attacker without the password could learn. That attempt still counts
   * against the login limits, as any refused sign-in does.
   */
  async login(body: LoginBody, meta: ClientMeta) {
    const attempt = this.attempt(body.email, meta);
    await this.deps.limiter.assertAllowed(attempt);
    const user = await this.deps.users.checkCredentials(body.email, body.password);
    if (!user) throw invalidCredentials();
    if (!user.active) throw deactivated();
    await this.deps.limiter.recordSuccess(attempt);
    return { user, ...(await this.startSession(user, meta)) };
  }

  async refresh(refreshToken: string | undefined): Promise<IssuedSession> {
    const { refreshTokens, sessions } = this.deps;
    const sessionId = refreshToken ? refreshTokens.sessionIdOf(refreshToken) : null;
    if (!refreshToken || !sessionId) throw new AppError('unauthorized', 'No refresh session; sign in');
    const next = refreshTokens.next(refreshToken);
    const rotated = await sessions.rotate(sessionId, hashToken(refreshToken), next.hash);
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

    const found = await sessions.findWithAge(sessionId);
    if (!found || found.session.revokedAt || found.expired) throw sessionEnded();
    const { session, rotatedSecondsAgo } = found;
    const behind = refreshTokens.rotationsBehind(refreshToken, session.tokenHash, session.generation);
    // Never issued by this session: a guess (or a forgery) naming it, which must not be able to end it.
    if (behind === null || behind === 0) throw new AppError('unauthorized', 'This refresh token is not valid; sign in');
    if (behind === 1 && rotatedSecondsAgo !== null && rotatedSecondsAgo <= REFRESH_GRACE_SECONDS) {
      // Lost a race with a sibling request that already rotated this token: hand out an access
      // token but no cookie, so the browser keeps the winner's refresh token.
      const user = await this.deps.users.findById(session.userId);
      if (!user?.active) throw sessionEnded();
      return { accessToken: await this.deps.tokens.sign(user, sessionId), expiresIn: this.deps.tokens.ttlSeconds };
    }
    // A token this session issued earlier, presented again: someone replayed it. End the whole family.
    const revoked = await sessions.revoke(sessionId);
    await this.deps.guard.announce(revoked);
    throw new AppError('unauthorized', 'This refresh token was already used; the session has been ended for safety');
  }

  /**
   * Ends every session the caller proves it holds: the bearer token's, and the cookie's when it is
   * a token that session issued. Returns how many ended (0: nothing was live, or nothing was proved).
   */
  async logout(refreshToken: string | undefined, actor: Actor | null): Promise<number> {
    const ended = new Set<string>();
    if (actor) ended.add(actor.sessionId);
    const cookieSession = await this.provesSession(refreshToken);
    if (cookieSession) ended.add(cookieSession);
    let count = 0;
    for (const id of ended) {
      const revoked = await this.deps.sessions.revoke(id);
      await this.deps.guard.announce(revoked);
      count += revoked.length;
    }
    return count;
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
    return { setupRequired: this.deps.setupTokens.pending, registrationOpen: await this.deps.publicSignup() };
  }

  /**
   * Anyone holding the old password's sessions is signed out; this device stays signed in. A wrong
   * current password counts against the sign-in limits: a stolen access token must not be a way to
   * guess the password (and keep the account).
   */
  async changePassword(actor: Actor, currentPassword: string, newPassword: string, meta: ClientMeta) {
    const user = await this.deps.users.findById(actor.id);
    if (!user) throw notFound('User');
    const attempt = this.attempt(user.email, meta);
    await this.deps.limiter.assertAllowed(attempt);
    if (!(await this.deps.users.checkPassword(actor.id, currentPassword))) {
      throw fieldError('currentPassword', 'The current password is not correct');
    }
    await this.deps.limiter.recordSuccess(attempt);
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
