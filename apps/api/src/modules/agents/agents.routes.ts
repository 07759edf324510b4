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
import { json } from '../../shared/openapi.js';
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
        description:
          'Every agent, filtered by active and q (name or email), with the leads each holds: open (new, contacted, qualified) and in total. Keyset pages.',
        querystring: listAgentsQuery,
        response: { 200: json(agentPage, 'A page of agents'), ...errors },
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
        description:
          'Creates an account with role agent who can sign in and receive leads; 409 when the email is already in use.',
        body: createAgentBody,
        response: { 201: json(agent, 'The new agent'), ...errors },
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
        description: 'One agent by id, with their lead counts.',
        params: idParams,
        response: { 200: json(agent, 'The agent'), ...errors },
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
        description:
          'Changes the fields sent (at least one). Deactivating an agent ends their sessions at once; their leads stay with them until redistributed.',
        params: idParams,
        body: updateAgentBody,
        response: { 200: json(agent, 'The agent as they now are'), ...errors },
      },
    },
    async (request) => service.update(actorOf(request), request.params.id, request.body),
  );
};
