import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { problem, updateWorkspaceSettingsBody, workspaceSettings } from '@crewdesk/contracts';
import { json } from '../../shared/openapi.js';
import { actorOf } from '../auth/index.js';
import type { WorkspaceService } from './workspace.service.js';

export const workspaceRoutes: FastifyPluginAsync<{ service: WorkspaceService }> = async (app, { service }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['workspace'];
  const security = [{ bearer: [] }];
  const admin = [app.authenticate, app.requireRole('admin')];

  r.get(
    '/api/v1/workspace/settings',
    {
      onRequest: admin,
      schema: {
        tags,
        operationId: 'getWorkspaceSettings',
        security,
        summary: 'The workspace settings',
        description:
          'The default phone country and whether public sign-up is open: what an admin saved, or DEFAULT_PHONE_REGION and ALLOW_REGISTRATION until then.',
        response: { 200: json(workspaceSettings, 'The settings in force'), 401: problem, 403: problem },
      },
    },
    async (request) => service.get(actorOf(request)),
  );

  r.patch(
    '/api/v1/workspace/settings',
    {
      onRequest: admin,
      schema: {
        tags,
        operationId: 'updateWorkspaceSettings',
        security,
        summary: 'Change the workspace settings',
        description:
          'Changes the settings sent (at least one). defaultPhoneCountry is an ISO 3166-1 alpha-2 code (null: every number needs its country code); ' +
          'it applies to the phone numbers of lead imports. publicSignup false closes POST /api/v1/auth/register (403).',
        body: updateWorkspaceSettingsBody,
        response: {
          200: json(workspaceSettings, 'The settings as they now are'),
          400: problem,
          401: problem,
          403: problem,
        },
      },
    },
    async (request) => service.update(actorOf(request), request.body),
  );
};
