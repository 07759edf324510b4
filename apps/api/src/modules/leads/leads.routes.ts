import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  createLeadNoteBody,
  exportLeadsQuery,
  followUpList,
  followUpTaskBody,
  leadNote,
  leadNoteList,
  reassignLeadsBody,
  reassignLeadsResult,
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
import { compileSerializer, sendJsonText } from '../../infra/http/serializer.js';
import { csvTimes, sendCsv } from '../../shared/csv.js';
import { json, text } from '../../shared/openapi.js';
import { actorOf } from '../auth/index.js';
import type { LeadRow } from './leads.repository.js';
import { toLeadDto, type LeadsService } from './leads.service.js';

const CSV_HEADER = ['id', 'firstName', 'phone', 'notes', 'status', 'agent', 'importId', 'createdAt', 'updatedAt'];
const TIME_COLUMNS = new Set(['createdAt', 'updatedAt']);
const serializePage = compileSerializer(leadPage);

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
          'An agent sees only the leads assigned to them; admins see every lead. Filters by status, agentId, importId and q (name, ignoring accents and case, or phone). ' +
          'Sorted newest first, or by `sort` (name, status, agent, assignedAt; a leading - is descending). Keyset pages; `total` counts every match.',
        querystring: listLeadsQuery,
        response: { 200: json(leadPage, 'A page of leads'), ...errors },
      },
    },
    async (request, reply) =>
      sendJsonText(reply, await service.listJson(actorOf(request), request.query, serializePage)),
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
    async (request) =>
      service.redistribute(actorOf(request), request.body.fromAgentId, request.body.toAgentIds, request.body.dryRun),
  );

  r.post(
    '/api/v1/leads/reassign',
    {
      // A retried move must answer the first "previous" (who held the leads before), or Undo would undo nothing.
      config: { idempotent: true },
      onRequest: admin,
      schema: {
        operationId: 'reassignLeads',
        tags,
        security,
        summary: 'Hand many leads to other active agents at once (all or none)',
        description:
          'Each lead goes to the active agent named with it, in one transaction: an unknown lead or an agent who is not active refuses the whole request, naming the entry. ' +
          'The answer says who held each lead before, so that sending those back undoes the move.',
        body: reassignLeadsBody,
        response: { 200: json(reassignLeadsResult, 'What moved, and who held it before'), ...errors },
      },
    },
    async (request) => service.reassign(actorOf(request), request.body),
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

  r.get(
    '/api/v1/leads/:id/notes',
    {
      onRequest: worker,
      schema: {
        operationId: 'listLeadNotes',
        tags,
        security,
        summary: 'A lead’s notes timeline, newest first',
        description: 'Who wrote what, and when; notes that came with the imported file have no author.',
        params: idParams,
        response: { 200: json(leadNoteList, 'The notes, newest first'), ...errors },
      },
    },
    async (request) => ({ items: await service.notes(actorOf(request), request.params.id) }),
  );

  r.post(
    '/api/v1/leads/:id/notes',
    {
      config: { idempotent: true },
      onRequest: worker,
      schema: {
        operationId: 'addLeadNote',
        tags,
        security,
        summary: 'Add a note to a lead’s timeline',
        description: 'Appends a note signed by you; it becomes the lead’s latest note (the list’s `notes`).',
        params: idParams,
        body: createLeadNoteBody,
        response: { 201: json(leadNote, 'The new note'), ...errors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await service.addNote(actorOf(request), request.params.id, request.body)),
  );

  r.get(
    '/api/v1/leads/:id/tasks',
    {
      onRequest: worker,
      schema: {
        operationId: 'listLeadFollowUps',
        tags,
        security,
        summary: 'The open follow-up tasks on a lead',
        description:
          'Pending tasks linked to the lead that you may see (yours; an admin sees everyone’s), soonest due first, at most 50.',
        params: idParams,
        response: { 200: json(followUpList, 'The open follow-ups'), ...errors },
      },
    },
    async (request) => ({ items: await service.followUps(actorOf(request), request.params.id) }),
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
