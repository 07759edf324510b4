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
        security,
        response: { 200: user, 401: problem },
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
        security,
        body: updateMeBody,
        response: { 200: user, ...errors },
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
        security,
        querystring: listUsersQuery,
        response: { 200: userPage, ...errors },
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
        security,
        body: createUserBody,
        response: { 201: user, ...errors },
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
        security,
        params: idParams,
        response: { 200: user, ...errors },
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
        security,
        params: idParams,
        body: updateUserBody,
        response: { 200: user, ...errors },
      },
    },
    async (request) => service.update(actorOf(request), request.params.id, request.body),
  );
};
