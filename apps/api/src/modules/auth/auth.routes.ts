import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  authResponse,
  changePasswordBody,
  idParams,
  loginBody,
  problem,
  refreshResponse,
  registerBody,
  sessionList,
  setupBody,
  setupStatus,
  type User,
} from '@crewdesk/contracts';
import { AppError } from '../../shared/errors.js';
import { json, noContent } from '../../shared/openapi.js';
import { actorOf } from './auth-core.plugin.js';
import { AuthCookies } from './auth-cookies.js';
import type { AuthService, ClientMeta, IssuedSession } from './auth.service.js';
import { refuseCrossSite } from './cross-site.js';

export {
  DEVICE_COOKIE,
  HOST_DEVICE_COOKIE,
  HOST_REFRESH_COOKIE,
  REFRESH_COOKIE,
  REFRESH_COOKIE_PATH,
} from './auth-cookies.js';

export const authRoutes: FastifyPluginAsync<{ service: AuthService }> = async (app, { service }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { production, rateLimit, corsOrigins } = app.config;
  const cookies = new AuthCookies(production);
  const sameSiteOnly = refuseCrossSite(corsOrigins);
  const meta = (request: FastifyRequest): ClientMeta => ({
    ip: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
    deviceCookie: cookies.readDevice(request),
  });
  const authLimit = {
    rateLimit: {
      max: rateLimit.authPerMinute,
      timeWindow: '1 minute',
      keyGenerator: (req: FastifyRequest) => `auth:${req.ip}`,
    },
  };

  function setSessionCookies(request: FastifyRequest, reply: FastifyReply, issued: IssuedSession) {
    if (issued.refresh) cookies.setRefresh(request, reply, issued.refresh.token, issued.refresh.maxAgeSeconds);
    if (issued.device) cookies.setDevice(request, reply, issued.device.value, issued.device.maxAgeSeconds);
  }
  /** The cookies go to the browser; the body carries only what JavaScript may see. */
  function signedIn(request: FastifyRequest, reply: FastifyReply, issued: IssuedSession & { user: User }) {
    setSessionCookies(request, reply, issued);
    return { user: issued.user, accessToken: issued.accessToken, expiresIn: issued.expiresIn };
  }
  const clearRefreshCookie = (request: FastifyRequest, reply: FastifyReply) => cookies.clearRefresh(request, reply);

  // Sign-in answers, tokens and sessions are for this client only; the JWKS says otherwise itself.
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  const errors = { 400: problem, 401: problem, 403: problem, 409: problem, 429: problem };
  const tags = ['auth'];

  r.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags,
        operationId: 'getJwks',
        security: [],
        summary: 'Public keys that verify access tokens',
        description:
          'The JSON Web Key Set (RFC 7517) of the Ed25519 keys that sign access tokens, including keys still accepted during a rotation. ' +
          'Any service or gateway verifies tokens with it, without the private key. Cacheable for 5 minutes.',
        response: {
          200: json(z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), 'The key set'),
          429: problem,
        },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return app.tokens.jwks() as { keys: Record<string, unknown>[] };
    },
  );

  r.get(
    '/api/v1/auth/setup-status',
    {
      schema: {
        tags,
        operationId: 'getSetupStatus',
        security: [],
        summary: 'Whether first-admin setup is pending and sign-up is open',
        description:
          'What the sign-in page shows: the first-admin setup form while no admin exists, and the sign-up link while public sign-up is open (the workspace setting, ALLOW_REGISTRATION until an admin saves one).',
        response: { 200: json(setupStatus, 'Setup and sign-up state'), 429: problem },
      },
    },
    async () => service.setupStatus(),
  );

  r.post(
    '/api/v1/auth/register',
    {
      config: authLimit,
      schema: {
        tags,
        operationId: 'register',
        security: [],
        summary: 'Create an account (role member) and sign in',
        description:
          'Open only while the workspace allows public sign-up (403 otherwise; ALLOW_REGISTRATION until an admin sets publicSignup). The new account always has the role member. ' +
          'Answers like sign-in: the access token in the body, the refresh token in the HttpOnly cookie. ' +
          'Limited per address (RATE_LIMIT_AUTH_PER_MIN).',
        body: registerBody,
        response: { 201: json(authResponse, 'Signed in as the new account; the refresh cookie is set'), ...errors },
      },
    },
    async (request, reply) => {
      const result = signedIn(request, reply, await service.register(request.body, meta(request)));
      return reply.code(201).send(result);
    },
  );

  r.post(
    '/api/v1/auth/login',
    {
      config: authLimit,
      schema: {
        tags,
        operationId: 'login',
        security: [],
        summary: 'Sign in',
        description:
          'Trades an email and password for an access token (in the body) and a refresh token (in the HttpOnly cookie). ' +
          'An unknown email and a wrong password answer the same 401; the right password for a deactivated account is 403 ' +
          '(type urn:crewdesk:problem:account-deactivated). Failures are limited per account and address (429 with Retry-After).',
        body: loginBody,
        response: { 200: json(authResponse, 'Signed in; the refresh cookie is set'), ...errors },
      },
    },
    async (request, reply) => {
      return signedIn(request, reply, await service.login(request.body, meta(request)));
    },
  );

  r.post(
    '/api/v1/auth/setup',
    {
      config: authLimit,
      schema: {
        tags,
        operationId: 'setupFirstAdmin',
        security: [],
        summary: 'Create the first admin with the one-time setup token',
        description:
          'Works once, while no admin exists, with the setup token the server printed at start (403 for a wrong or used token, 409 once an admin exists). Signs the new admin in.',
        body: setupBody,
        response: { 201: json(authResponse, 'The first admin, signed in; the refresh cookie is set'), ...errors },
      },
    },
    async (request, reply) => {
      const result = signedIn(request, reply, await service.setup(request.body, meta(request)));
      return reply.code(201).send(result);
    },
  );

  r.post(
    '/api/v1/auth/refresh',
    {
      onRequest: sameSiteOnly,
      schema: {
        tags,
        operationId: 'refreshSession',
        security: [{ refreshCookie: [] }],
        summary: 'Trade the refresh cookie for a new access token (the cookie rotates)',
        description:
          'Sends no body: the browser sends the refresh cookie. Every use rotates it (a new Set-Cookie); presenting any earlier ' +
          'token of the session ends the whole session, while a secret that was never issued is refused without ending it. ' +
          'A missing, expired or revoked cookie answers 401 and clears the cookie; two refresh cookies, or a cross-site request, 401 or 403.',
        response: {
          200: json(refreshResponse, 'A new access token; the rotated refresh cookie is set'),
          401: problem,
          403: problem,
        },
      },
    },
    async (request, reply) => {
      try {
        const presented = cookies.readRefresh(request);
        if (presented.kind === 'several') {
          throw new AppError('unauthorized', 'More than one refresh cookie was sent; sign in again');
        }
        const issued = await service.refresh(presented.kind === 'one' ? presented.token : undefined);
        setSessionCookies(request, reply, issued);
        return { accessToken: issued.accessToken, expiresIn: issued.expiresIn };
      } catch (err) {
        // Only a dead session loses its cookie; a passing server error must not sign anyone out.
        if (err instanceof AppError && err.code === 'unauthorized') clearRefreshCookie(request, reply);
        throw err;
      }
    },
  );

  r.post(
    '/api/v1/auth/logout',
    {
      onRequest: sameSiteOnly,
      schema: {
        tags,
        operationId: 'logout',
        // Either credential names the session; with neither there is nothing to end, and the answer is the same.
        security: [{ refreshCookie: [] }, { bearer: [] }, {}],
        summary: 'End this session (refresh cookie or bearer token)',
        description:
          'Ends the session the refresh cookie or the bearer token belongs to, at once on every replica, and clears the cookie. ' +
          '401 when neither names a live session (nothing was ended); 403 for a cross-site request.',
        response: {
          204: noContent('Signed out; the refresh cookie is cleared'),
          401: problem,
          403: problem,
          429: problem,
        },
      },
    },
    async (request, reply) => {
      // An invalid or expired access token proves nothing (the cookie still may); only a rate limit stops here.
      const actor = await app.bearerActor(request).catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'rate_limited') throw err;
        return null;
      });
      const presented = cookies.readRefresh(request);
      // Two refresh cookies prove nothing; the bearer token still can.
      const ended = await service.logout(presented.kind === 'one' ? presented.token : undefined, actor);
      clearRefreshCookie(request, reply);
      // Saying "signed out" when nothing ended would hide a session that is still live.
      if (ended === 0) throw new AppError('unauthorized', 'No live session was named, so none was ended');
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/v1/auth/logout-all',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        operationId: 'logoutAll',
        summary: 'End every session of this account',
        description: 'Signs every device of this account out, this one included, and clears the refresh cookie.',
        security: [{ bearer: [] }],
        response: { 204: noContent('Every session has ended'), 401: problem },
      },
    },
    async (request, reply) => {
      await service.logoutAll(actorOf(request));
      clearRefreshCookie(request, reply);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/v1/me/password',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['me'],
        operationId: 'changePassword',
        summary: 'Change password; other sessions end',
        description:
          'Needs the current password (failures count against the sign-in limits). The new one is 8–256 characters and not among the most common passwords. ' +
          'Every other session of the account ends; this one stays signed in.',
        security: [{ bearer: [] }],
        body: changePasswordBody,
        response: { 204: noContent('The password is changed'), ...errors },
      },
    },
    async (request, reply) => {
      const { currentPassword, newPassword } = request.body;
      await service.changePassword(actorOf(request), currentPassword, newPassword, meta(request));
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/v1/me/sessions',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['me'],
        operationId: 'listMySessions',
        summary: 'Devices signed in to this account',
        description: 'Every live session of the account, with its device and address; `current` marks the one asking.',
        security: [{ bearer: [] }],
        response: { 200: json(sessionList, 'Your live sessions'), 401: problem },
      },
    },
    async (request) => ({ items: await service.listSessions(actorOf(request)) }),
  );

  r.delete(
    '/api/v1/me/sessions/:id',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['me'],
        operationId: 'revokeMySession',
        summary: 'Sign one device out',
        description: 'Ends one of your sessions at once; another user’s session answers 404, as a missing one does.',
        security: [{ bearer: [] }],
        params: idParams,
        response: { 204: noContent('The session has ended'), 401: problem, 404: problem },
      },
    },
    async (request, reply) => {
      await service.revokeSession(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
