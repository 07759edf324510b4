import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Role } from '@crewdesk/contracts';
import type { Actor } from '../../shared/access.js';
import { AppError } from '../../shared/errors.js';
import { InvalidTokenLimiter } from './invalid-token-limiter.js';
import { pemBlocks } from '../../shared/pem.js';
import { acceptedKey, loadPrivateKeyPem, retiredKeys, signingKeys } from './keys.js';
import { SessionGuard } from './session-guard.js';
import { createSessionsRepository } from './sessions.repository.js';
import { AccessTokens, InvalidAccessToken } from './tokens.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Signs and verifies access tokens; `keys` holds the public key the JWKS publishes. */
    tokens: AccessTokens;
    /** Whether a session is live, and ending sessions everywhere at once. */
    sessionGuard: SessionGuard;
    /**
     * The actor a request's bearer token names (null without an Authorization header); 401 for an
     * invalid token, 429 once its address has sent too many. The session may have ended since.
     */
    bearerActor: (request: FastifyRequest) => Promise<Actor | null>;
    /** onRequest: a valid access token of a live session, or 401. */
    authenticate: onRequestAsyncHookHandler;
    /** onRequest: the authenticated actor has one of these roles, or 403. */
    requireRole: (...roles: Role[]) => onRequestAsyncHookHandler;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
}

const CLIENT_ID = /^[A-Za-z0-9_-]{8,64}$/;
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  return header ? (BEARER.exec(header)?.[1] ?? null) : null;
}

/** Token verification and session liveness: what every service needs, whichever routes it mounts. */
export default fp(
  async (app) => {
    const { config } = app;
    const persist = config.database.url !== 'memory://';
    const pem = loadPrivateKeyPem(config.jwt.privateKeyPem, config.dataDir, persist);
    const keys = await signingKeys(pem);
    // A rotation's other side: JWT_ACCEPTED_KEYS in production, the keys `rotate-signing-key`
    // retired in embedded mode (only when DATA_DIR holds the signing key).
    const accepted = [
      ...(await Promise.all(pemBlocks(config.jwt.acceptedKeysPem ?? '').map((block) => acceptedKey(block)))),
      ...(persist && !config.jwt.privateKeyPem ? await retiredKeys(config.dataDir, config.jwt) : []),
    ].filter((key) => key.kid !== keys.kid);
    const tokens = new AccessTokens(keys, config.jwt, accepted);
    const guard = new SessionGuard(
      app.cache,
      createSessionsRepository(app.database.db),
      config.jwt.accessTtlSeconds,
      app.log,
    );

    const invalidTokens = new InvalidTokenLimiter(config.bearerMaxFailures, app.redis);
    const signIn = () =>
      new AppError('unauthorized', 'Sign in to continue (send Authorization: Bearer <access token>)');

    await app.register(cookie);
    app.decorate('tokens', tokens);
    app.decorate('sessionGuard', guard);
    app.decorateRequest('actor', null);

    app.decorate('bearerActor', async function bearerActor(request: FastifyRequest): Promise<Actor | null> {
      if (request.headers.authorization === undefined) return null;
      const token = bearerToken(request);
      // Tokens this process has verified skip the count: the hot path stays one cache lookup.
      const known = token ? tokens.known(token) : null;
      if (known) return known;
      await invalidTokens.assertAllowed(request.ip);
      if (!token) {
        await invalidTokens.recordFailure(request.ip);
        throw signIn();
      }
      try {
        return await tokens.verify(token);
      } catch (err) {
        if (err instanceof InvalidAccessToken && !err.expired) await invalidTokens.recordFailure(request.ip);
        throw err;
      }
    });

    app.decorate('authenticate', async function authenticate(request: FastifyRequest, _reply: FastifyReply) {
      const actor = await app.bearerActor(request);
      if (!actor) throw signIn();
      if (!(await guard.isLive(actor.sessionId)))
        throw new AppError('unauthorized', 'Your session has ended; sign in again');
      const clientId = request.headers['x-client-id'];
      request.actor = { ...actor, source: typeof clientId === 'string' && CLIENT_ID.test(clientId) ? clientId : null };
      // The request's logger is also its reply's: the access log line carries the user too.
      (request.log as FastifyBaseLogger & { setBindings(bindings: object): void }).setBindings({ userId: actor.id });
    });

    // What a signed-in request gets back is that user's alone: no cache along the way may keep it.
    app.addHook('onSend', async (request, reply) => {
      if ((request.actor || request.headers.authorization !== undefined) && !reply.hasHeader('cache-control')) {
        reply.header('cache-control', 'no-store');
      }
    });

    app.decorate(
      'requireRole',
      (...roles: Role[]) =>
        async function requireRole(request: FastifyRequest) {
          if (!request.actor || !roles.includes(request.actor.role)) {
            throw new AppError('forbidden', 'Your role does not allow this');
          }
        },
    );
  },
  { name: 'auth-core', dependencies: ['config', 'db', 'cache'] },
);

/** The authenticated actor; only valid behind `app.authenticate`. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new AppError('unauthorized');
  return request.actor;
}
