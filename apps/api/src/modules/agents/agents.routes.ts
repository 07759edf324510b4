import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  agent,
  agentPage,
  createAgentBody,
  idParams,
  listAgentsQuery,
  problem,
  updateAgentBody,
} from '@crewdesk/contracts';
import { actorOf } from '../auth/index.js';
import type { AgentsService } from './agents.service.js';

export const agentsRoutes: FastifyPluginAsync<{ service: AgentsService }> = async (app, { service }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['agents'];
  const security = [{ bearer: [] }];
  const errors = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem };
  const onRequest = [app.authenticate, app.requireRole('admin')];

  r.get(
    '/api/v1/agents',
    {
      onRequest,
      schema: {
        operationId: 'listAgents',
        tags,
        security,
        summary: 'Agents with their open and total lead counts',
        querystring: listAgentsQuery,
        response: { 200: agentPage, ...errors },
      },
    },
    async (request) => service.list(actorOf(request), request.query),
  );

  r.post(
    '/api/v1/agents',
    {
      config: { idempotent: true },
      onRequest,
      schema: {
        operationId: 'createAgent',
        tags,
        security,
        summary: 'Create an agent (a user with role agent; mobile stored in E.164)',
        body: createAgentBody,
        response: { 201: agent, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await service.create(actorOf(request), request.body)),
  );

  r.get(
    '/api/v1/agents/:id',
    {
      onRequest,
      schema: {
        operationId: 'getAgent',
        tags,
        security,
        summary: 'One agent',
        params: idParams,
        response: { 200: agent, ...errors },
      },
    },
    async (request) => service.get(actorOf(request), request.params.id),
  );

  r.patch(
    '/api/v1/agents/:id',
    {
      onRequest,
      schema: {
        operationId: 'updateAgent',
        tags,
        security,
        summary: 'Edit, reset the password of, or deactivate an agent (deactivation ends their sessions)',
        params: idParams,
        body: updateAgentBody,
        response: { 200: agent, ...errors },
      },
    },
    async (request) => service.update(actorOf(request), request.params.id, request.body),
  );
};
