import fp from 'fastify-plugin';
import { DeviceCookies } from './device-cookies.js';
import { deriveSecret } from './keys.js';
import { LoginLimiter } from './login-limiter.js';
import { AuthService } from './auth.service.js';
import { authRoutes } from './auth.routes.js';
import { RefreshTokens } from './refresh-tokens.js';
import { createSessionsRepository } from './sessions.repository.js';
import { SetupTokens } from './setup-tokens.js';
import type { Database, Executor } from '../../infra/db/client.js';
import { AppError } from '../../shared/errors.js';

export { default as authCore, actorOf, bearerToken } from './auth-core.plugin.js';
export { rotateSigningKey } from './keys.js';

/**
 * Ends sessions in the database alone, for a process without the servers' cache (the CLI): the
 * database says revoked at once; a server that cached a session as live refuses it within a minute.
 */
export function databaseSessionEnder(db: Database) {
  const sessions = createSessionsRepository(db);
  return {
    endAllForUser: (userId: string, tx: Executor, exceptId?: string) => sessions.revokeAllForUser(userId, exceptId, tx),
    announce: async () => {},
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    authService: AuthService;
    setupTokens: SetupTokens;
    /** The first-admin link printed at start, while no admin exists. */
    setupToken: string | null;
  }
}

/** Sign-up, sign-in, refresh sessions, first-admin setup, and the account's own sessions. */
export default fp<{ routes: boolean }>(
  async (app, { routes }) => {
    const { config } = app;
    const setupTokens = new SetupTokens();
    app.decorate('setupTokens', setupTokens);
    app.decorate('setupToken', null);
    // Secrets derived from the accepted keys given as private keys, while they are accepted.
    const acceptedSecrets = (purpose: 'refresh-token-chain' | 'device-cookie') =>
      app.tokens.accepted.flatMap((key) =>
        key.privateKey && (key.derivesUntil === null || key.derivesUntil > Date.now())
          ? [deriveSecret(key.privateKey, purpose)]
          : [],
      );

    const service = new AuthService({
      users: app.usersService,
      sessions: createSessionsRepository(app.database.db),
      guard: app.sessionGuard,
      tokens: app.tokens,
      refreshTokens: new RefreshTokens(
        deriveSecret(app.tokens.keys.privateKey, 'refresh-token-chain'),
        acceptedSecrets('refresh-token-chain'),
      ),
      limiter: new LoginLimiter(
        { maxFailures: config.loginMaxFailures, accountMaxFailures: config.loginAccountMaxFailures },
        app.redis,
      ),
      devices: new DeviceCookies(
        deriveSecret(app.tokens.keys.privateKey, 'device-cookie'),
        Date.now,
        acceptedSecrets('device-cookie'),
      ),
      setupTokens,
      refreshTtlSeconds: config.jwt.refreshTtlSeconds,
      publicSignup: async () => (await app.workspace.current()).publicSignup,
    });
    app.decorate('authService', service);
    if (routes) await app.register(authRoutes, { service });

    app.addHook('onReady', async () => {
      if (config.bootstrapAdmin) {
        const { email, password } = config.bootstrapAdmin;
        const existing = await app.usersService.findByEmail(email);
        if (!existing) {
          try {
            await app.usersService.createAccount({ email, password, name: 'Administrator', role: 'admin' });
            app.log.info({ email }, 'created the admin from ADMIN_EMAIL');
          } catch (err) {
            // Replicas starting together all find no admin; one insert wins and the rest carry on.
            if (!(err instanceof AppError && err.code === 'conflict')) throw err;
            app.log.info({ email }, 'the admin from ADMIN_EMAIL was created by another process');
          }
        } else if (existing.role !== 'admin') {
          app.log.warn({ email }, 'ADMIN_EMAIL belongs to an account that is not an admin; left unchanged');
        }
      } else if (!(await app.usersService.hasActiveAdmin())) {
        app.setupToken = setupTokens.issue();
      }
    });
  },
  { name: 'auth', dependencies: ['auth-core', 'users', 'workspace'] },
);
