import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  exportLeadsQuery,
  followUpTaskBody,
  idParams,
  lead,
  leadPage,
  leadStats,
  listLeadsQuery,
  problem,
  redistributeBody,
  redistributeResult,
  task,
  updateLeadBody,
} from '@crewdesk/contracts';
import { csvTimes, sendCsv } from '../../shared/csv.js';
import { json, text } from '../../shared/openapi.js';
import { actorOf } from '../auth/index.js';
import type { LeadRow } from './leads.repository.js';
import { toLeadDto, type LeadsService } from './leads.service.js';

const CSV_HEADER = ['id', 'firstName', 'phone', 'notes', 'status', 'agent', 'importId', 'createdAt', 'updatedAt'];
const TIME_COLUMNS = new Set(['createdAt', 'updatedAt']);

export const leadsRoutes: FastifyPluginAsync<{ service: LeadsService }> = async (app, { service }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['leads'];
  const security = [{ bearer: [] }];
  const errors = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem };
  const worker = [app.authenticate, app.requireRole('agent', 'admin')];
  const admin = [app.authenticate, app.requireRole('admin')];

  r.get(
    '/api/v1/leads',
    {
      onRequest: worker,
      schema: {
        operationId: 'listLeads',
        tags,
        security,
        summary: 'Leads: an agent sees their own; admins filter by agent, status, import and name/phone',
        description:
          'An agent sees only the leads assigned to them; admins see every lead. Filters by status, agentId, importId and q (name or phone). Keyset pages.',
        querystring: listLeadsQuery,
        response: { 200: json(leadPage, 'A page of leads'), ...errors },
      },
    },
    async (request) => service.list(actorOf(request), request.query),
  );

  r.get(
    '/api/v1/leads/stats',
    {
      onRequest: worker,
      schema: {
        operationId: 'getLeadStats',
        tags,
        security,
        summary: 'Lead counts per status and per agent',
        description:
          'Totals by status, and per agent the open and total leads; an agent’s answer covers only their own leads.',
        response: { 200: json(leadStats, 'Lead statistics'), ...errors },
      },
    },
    async (request) => service.stats(actorOf(request)),
  );

  r.get(
    '/api/v1/leads/export',
    {
      onRequest: worker,
      schema: {
        operationId: 'exportLeads',
        tags,
        security,
        summary: 'Leads as CSV (formulas neutralised)',
        description:
          'Every lead matching the list’s filters that you may see, streamed as a CSV download (UTF-8 with a BOM for Excel, CRLF lines, a header row; phones in E.164). ' +
          'Times are ISO-8601 UTC, or with tz (an IANA zone) that zone’s local time, the zone named in the column header. ' +
          'Cells that a spreadsheet would run as a formula (= + - @ tab CR) start with a quote.',
        querystring: exportLeadsQuery,
        response: {
          200: text(
            'text/csv',
            'The leads as a CSV attachment: id, firstName, phone, notes, status, agent, importId, createdAt, updatedAt',
          ),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const time = csvTimes(request.query.tz);
      const header = CSV_HEADER.map((name) => (TIME_COLUMNS.has(name) ? time.column(name) : name));
      const toRow = (l: LeadRow) => [
        l.id,
        l.firstName,
        l.phone,
        l.notes,
        l.status,
        l.agentName,
        l.importId,
        time.cell(l.createdAt),
        time.cell(l.updatedAt),
      ];
      return sendCsv(reply, 'leads', header, service.export(actorOf(request), request.query), toRow);
    },
  );

  r.post(
    '/api/v1/leads/redistribute',
    {
      onRequest: admin,
      schema: {
        operationId: 'redistributeLeads',
        tags,
        security,
        summary: "Move an agent's open leads to other active agents in fair shares",
        description:
          'Moves every open lead (new, contacted, qualified) of fromAgentId to the chosen active agents (default: all others) in equal shares, ' +
          'the remainder to those with the fewest open leads; 409 when no other active agent can take them.',
        body: redistributeBody,
        response: { 200: json(redistributeResult, 'What moved, and to whom'), ...errors },
      },
    },
    async (request) => service.redistribute(actorOf(request), request.body.fromAgentId, request.body.toAgentIds),
  );

  r.get(
    '/api/v1/leads/:id',
    {
      onRequest: worker,
      schema: {
        operationId: 'getLead',
        tags,
        security,
        summary: 'One lead',
        description: 'One lead; an agent gets 404 for a lead that is not theirs, as for a missing one.',
        params: idParams,
        response: { 200: json(lead, 'The lead'), ...errors },
      },
    },
    async (request) => toLeadDto(await service.get(actorOf(request), request.params.id)),
  );

  r.patch(
    '/api/v1/leads/:id',
    {
      onRequest: worker,
      schema: {
        operationId: 'updateLead',
        tags,
        security,
        summary: 'Change status or notes; admins may reassign (agentId)',
        description:
          'Changes the fields sent (at least one). Only admins may send agentId, which hands the lead to another active agent (recorded in its history).',
        params: idParams,
        body: updateLeadBody,
        response: { 200: json(lead, 'The lead as it now is'), ...errors },
      },
    },
    async (request) => toLeadDto(await service.update(actorOf(request), request.params.id, request.body)),
  );

  r.post(
    '/api/v1/leads/:id/tasks',
    {
      config: { idempotent: true },
      onRequest: worker,
      schema: {
        operationId: 'createLeadFollowUp',
        tags,
        security,
        summary: 'Turn a lead into a follow-up task (the task keeps leadId)',
        description:
          'Creates a task you own that links back to the lead (leadId); the title defaults to “Follow up with <first name>”.',
        params: idParams,
        body: followUpTaskBody,
        response: { 201: json(task, 'The follow-up task'), ...errors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await service.createFollowUp(actorOf(request), request.params.id, request.body)),
  );
};
