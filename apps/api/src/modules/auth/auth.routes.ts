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
        response: { 200: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), 429: problem },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return { keys: [app.tokens.keys.jwk as Record<string, unknown>] };
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
        response: { 200: setupStatus, 429: problem },
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
        body: registerBody,
        response: { 201: authResponse, ...errors },
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
        body: loginBody,
        response: { 200: authResponse, ...errors },
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
        body: setupBody,
        response: { 201: authResponse, ...errors },
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
        security: [],
        summary: 'Trade the refresh cookie for a new access token (the cookie rotates)',
        response: { 200: refreshResponse, 401: problem, 403: problem },
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
        security: [],
        summary: 'End this session (refresh cookie or bearer token)',
        response: { 204: z.null(), 401: problem, 403: problem, 429: problem },
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
        security: [{ bearer: [] }],
        response: { 204: z.null(), 401: problem },
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
        security: [{ bearer: [] }],
        body: changePasswordBody,
        response: { 204: z.null(), ...errors },
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
        security: [{ bearer: [] }],
        response: { 200: sessionList, 401: problem },
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
        security: [{ bearer: [] }],
        params: idParams,
        response: { 204: z.null(), 401: problem, 404: problem },
      },
    },
    async (request, reply) => {
      await service.revokeSession(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
