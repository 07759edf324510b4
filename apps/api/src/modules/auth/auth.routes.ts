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
} from '@crewdesk/contracts';
import { AppError } from '../../shared/errors.js';
import { actorOf, bearerToken } from './auth-core.plugin.js';
import type { AuthService, ClientMeta, IssuedSession } from './auth.service.js';

export const REFRESH_COOKIE = 'crewdesk_refresh';
export const REFRESH_COOKIE_PATH = '/api/v1/auth';
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

const meta = (request: FastifyRequest): ClientMeta => ({
  ip: request.ip,
  userAgent: request.headers['user-agent'] ?? null,
});

export const authRoutes: FastifyPluginAsync<{ service: AuthService }> = async (app, { service }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { production, rateLimit } = app.config;
  const authLimit = {
    rateLimit: {
      max: rateLimit.authPerMinute,
      timeWindow: '1 minute',
      keyGenerator: (req: FastifyRequest) => `auth:${req.ip}`,
    },
  };

  /** Secure everywhere except plain-http localhost, where browsers would drop a Secure cookie. */
  const secureCookie = (request: FastifyRequest) =>
    production || request.protocol === 'https' || !LOCAL_HOSTS.has(request.hostname);

  function setRefreshCookie(request: FastifyRequest, reply: FastifyReply, issued: IssuedSession) {
    if (!issued.refresh) return;
    reply.setCookie(REFRESH_COOKIE, issued.refresh.token, {
      path: REFRESH_COOKIE_PATH,
      httpOnly: true,
      sameSite: 'strict',
      secure: secureCookie(request),
      maxAge: issued.refresh.maxAgeSeconds,
    });
  }
  function clearRefreshCookie(request: FastifyRequest, reply: FastifyReply) {
    reply.clearCookie(REFRESH_COOKIE, {
      path: REFRESH_COOKIE_PATH,
      httpOnly: true,
      sameSite: 'strict',
      secure: secureCookie(request),
    });
  }
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
      const { refresh, ...result } = await service.register(request.body, meta(request));
      setRefreshCookie(request, reply, { ...result, refresh });
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
      const { refresh, ...result } = await service.login(request.body, meta(request));
      setRefreshCookie(request, reply, { ...result, refresh });
      return result;
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
      const { refresh, ...result } = await service.setup(request.body, meta(request));
      setRefreshCookie(request, reply, { ...result, refresh });
      return reply.code(201).send(result);
    },
  );

  r.post(
    '/api/v1/auth/refresh',
    {
      schema: {
        tags,
        operationId: 'refreshSession',
        security: [],
        summary: 'Trade the refresh cookie for a new access token (the cookie rotates)',
        response: { 200: refreshResponse, 401: problem },
      },
    },
    async (request, reply) => {
      try {
        const issued = await service.refresh(request.cookies[REFRESH_COOKIE]);
        setRefreshCookie(request, reply, issued);
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
      schema: {
        tags,
        operationId: 'logout',
        security: [],
        summary: 'End this session (refresh cookie or bearer token)',
        response: { 204: z.null(), 429: problem },
      },
    },
    async (request, reply) => {
      const token = bearerToken(request);
      const actor = token ? await app.tokens.verify(token).catch(() => null) : null;
      await service.logout(request.cookies[REFRESH_COOKIE], actor);
      clearRefreshCookie(request, reply);
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
      await service.changePassword(actorOf(request), request.body.currentPassword, request.body.newPassword);
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
