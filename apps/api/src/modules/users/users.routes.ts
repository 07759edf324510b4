import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  createUserBody,
  idParams,
  listUsersQuery,
  problem,
  updateMeBody,
  updateUserBody,
  user,
  userPage,
} from '@crewdesk/contracts';
import { json } from '../../shared/openapi.js';
import { actorOf } from '../auth/index.js';
import type { UsersService } from './users.service.js';

export const usersRoutes: FastifyPluginAsync<{ service: UsersService }> = async (app, { service }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  const errors = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem };
  const admin = [app.authenticate, app.requireRole('admin')];

  r.get(
    '/api/v1/me',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['me'],
        operationId: 'getMe',
        summary: 'Your profile',
        description: 'The signed-in account: email, name, mobile (E.164), role and whether it is active.',
        security,
        response: { 200: json(user, 'Your account'), 401: problem },
      },
    },
    async (request) => service.me(actorOf(request)),
  );

  r.patch(
    '/api/v1/me',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['me'],
        operationId: 'updateMe',
        summary: 'Edit your name or mobile',
        description:
          'Changes the fields sent (at least one). A mobile is normalised to E.164 (DEFAULT_PHONE_REGION for numbers without a country code); null removes it.',
        security,
        body: updateMeBody,
        response: { 200: json(user, 'Your account as it now is'), ...errors },
      },
    },
    async (request) => service.updateMe(actorOf(request), request.body),
  );

  r.get(
    '/api/v1/users',
    {
      onRequest: admin,
      schema: {
        tags: ['users'],
        operationId: 'listUsers',
        summary: 'List users (admin)',
        description:
          'Every account, filtered by role, active and q (name or email), in keyset pages: pass the previous page’s nextCursor as cursor.',
        security,
        querystring: listUsersQuery,
        response: { 200: json(userPage, 'A page of users'), ...errors },
      },
    },
    async (request) => service.list(actorOf(request), request.query),
  );

  r.post(
    '/api/v1/users',
    {
      config: { idempotent: true },
      onRequest: admin,
      schema: {
        tags: ['users'],
        operationId: 'createUser',
        summary: 'Create a user (admin)',
        description: 'Creates an account of any role (default member); 409 when the email is already in use.',
        security,
        body: createUserBody,
        response: { 201: json(user, 'The new account'), ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await service.create(actorOf(request), request.body)),
  );

  r.get(
    '/api/v1/users/:id',
    {
      onRequest: admin,
      schema: {
        tags: ['users'],
        operationId: 'getUser',
        summary: 'One user (admin)',
        description: 'One account by id.',
        security,
        params: idParams,
        response: { 200: json(user, 'The account'), ...errors },
      },
    },
    async (request) => service.get(actorOf(request), request.params.id),
  );

  r.patch(
    '/api/v1/users/:id',
    {
      onRequest: admin,
      schema: {
        tags: ['users'],
        operationId: 'updateUser',
        summary:
          'Change role, name, mobile or deactivate (admin); role changes and deactivation end the user’s sessions',
        description:
          'Changes the fields sent (at least one). A role change or deactivation ends every session of the user at once; ' +
          'removing the last active admin answers 409.',
        security,
        params: idParams,
        body: updateUserBody,
        response: { 200: json(user, 'The account as it now is'), ...errors },
      },
    },
    async (request) => service.update(actorOf(request), request.params.id, request.body),
  );
};
