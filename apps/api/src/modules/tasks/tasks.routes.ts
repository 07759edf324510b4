import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  bulkTaskBody,
  bulkTaskResult,
  createTaskBody,
  exportTasksQuery,
  idParams,
  listTasksQuery,
  problem,
  replaceTaskBody,
  task,
  taskPage,
  taskStats,
  taskStatsQuery,
  updateTaskBody,
} from '@crewdesk/contracts';
import { csvTimes, sendCsv } from '../../shared/csv.js';
import { compileSerializer, sendJsonText } from '../../infra/http/serializer.js';
import { json, noContent, text } from '../../shared/openapi.js';
import { actorOf } from '../auth/index.js';
import type { TaskRow } from './tasks.repository.js';
import { toTaskDto, type TasksService } from './tasks.service.js';

const CSV_HEADER = ['id', 'title', 'description', 'status', 'priority', 'dueDate', 'createdAt', 'completedAt'];
const TIME_COLUMNS = new Set(['dueDate', 'createdAt', 'completedAt']);

const serializePage = compileSerializer(taskPage);

export const tasksRoutes: FastifyPluginAsync<{ service: TasksService }> = async (app, { service }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['tasks'];
  const security = [{ bearer: [] }];
  const errors = { 400: problem, 401: problem, 403: problem, 404: problem };
  const onRequest = app.authenticate;

  r.get(
    '/api/v1/tasks',
    {
      onRequest,
      schema: {
        tags,
        security,
        operationId: 'listTasks',
        summary: 'Your tasks: filters, full-text search (q, ranked), sort, keyset pages. Admins may pass ownerId.',
        description:
          'Filters by status, priority and due date; q searches titles and descriptions (English full text, websearch syntax) and ranks the 1,000 newest matches by relevance (another sort walks every match). ' +
          'Pages are keyset cursors: pass nextCursor as cursor; it is null on the last page. Admins may pass ownerId to list another user’s tasks; for anyone else another owner answers 404.',
        querystring: listTasksQuery,
        response: { 200: json(taskPage, 'A page of tasks'), ...errors },
      },
    },
    async (request, reply) =>
      sendJsonText(reply, await service.listJson(actorOf(request), request.query, serializePage)),
  );

  r.post(
    '/api/v1/tasks',
    {
      config: { idempotent: true },
      onRequest,
      schema: {
        tags,
        security,
        operationId: 'createTask',
        summary: 'Create a task',
        description: 'Creates a task you own; fields left out take their defaults (pending, medium, no due date).',
        body: createTaskBody,
        response: { 201: json(task, 'The new task'), ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(toTaskDto(await service.create(actorOf(request), request.body))),
  );

  r.get(
    '/api/v1/tasks/stats',
    {
      onRequest,
      schema: {
        tags,
        security,
        operationId: 'getTaskStats',
        summary: 'Counts by status, overdue, average completion time, completions per day (30 days, UTC)',
        description:
          'Your task analytics: totals by status, overdue open tasks, the average seconds from creation to completion, and completions on each of the last 30 UTC days. ' +
          'Admins may pass ownerId.',
        querystring: taskStatsQuery,
        response: { 200: json(taskStats, 'Your task statistics'), ...errors },
      },
    },
    async (request) => service.stats(actorOf(request), request.query.ownerId),
  );

  r.get(
    '/api/v1/tasks/export',
    {
      onRequest,
      schema: {
        tags,
        security,
        operationId: 'exportTasks',
        summary: 'Your tasks as CSV (formulas neutralised)',
        description:
          'Every task matching the list’s filters, oldest first, streamed as a CSV download (UTF-8 with a BOM for Excel, CRLF lines, a header row). ' +
          'Times are ISO-8601 UTC, or with tz (an IANA zone) that zone’s local time, the zone named in the column header. ' +
          'Cells that a spreadsheet would run as a formula (= + - @ tab CR) start with a quote.',
        querystring: exportTasksQuery,
        response: {
          200: text(
            'text/csv',
            'The tasks as a CSV attachment: id, title, description, status, priority, dueDate, createdAt, completedAt',
          ),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const time = csvTimes(request.query.tz);
      const header = CSV_HEADER.map((name) => (TIME_COLUMNS.has(name) ? time.column(name) : name));
      const toRow = (t: TaskRow) => [
        t.id,
        t.title,
        t.description,
        t.status,
        t.priority,
        time.cell(t.dueDate),
        time.cell(t.createdAt),
        time.cell(t.completedAt),
      ];
      return sendCsv(reply, 'tasks', header, service.export(actorOf(request), request.query), toRow);
    },
  );

  r.post(
    '/api/v1/tasks/bulk',
    {
      onRequest,
      schema: {
        tags,
        security,
        operationId: 'bulkTasks',
        summary: 'Complete, reopen or delete many of your tasks at once',
        description:
          'Applies one action to up to 1000 of your tasks in one transaction; ids that are not yours are skipped, not refused.',
        body: bulkTaskBody,
        response: { 200: json(bulkTaskResult, 'How many of your tasks changed'), ...errors },
      },
    },
    async (request) => ({ count: await service.bulk(actorOf(request), request.body) }),
  );

  r.get(
    '/api/v1/tasks/:id',
    {
      onRequest,
      schema: {
        tags,
        security,
        operationId: 'getTask',
        summary: 'One task',
        description: 'One of your tasks (admins: anyone’s); another user’s task answers 404, as a missing one does.',
        params: idParams,
        response: { 200: json(task, 'The task'), ...errors },
      },
    },
    async (request) => toTaskDto(await service.get(actorOf(request), request.params.id)),
  );

  r.put(
    '/api/v1/tasks/:id',
    {
      onRequest,
      schema: {
        tags,
        security,
        operationId: 'replaceTask',
        summary: 'Replace a task',
        description: 'Replaces every editable field; what is left out returns to its default.',
        params: idParams,
        body: replaceTaskBody,
        response: { 200: json(task, 'The task as it now is'), ...errors },
      },
    },
    async (request) => toTaskDto(await service.update(actorOf(request), request.params.id, request.body)),
  );

  r.patch(
    '/api/v1/tasks/:id',
    {
      onRequest,
      schema: {
        tags,
        security,
        operationId: 'updateTask',
        summary: 'Change some fields of a task',
        description:
          'Changes only the fields sent; send at least one. Completing sets completedAt, reopening clears it.',
        params: idParams,
        body: updateTaskBody,
        response: { 200: json(task, 'The task as it now is'), ...errors },
      },
    },
    async (request) => toTaskDto(await service.update(actorOf(request), request.params.id, request.body)),
  );

  r.delete(
    '/api/v1/tasks/:id',
    {
      onRequest,
      schema: {
        tags,
        security,
        operationId: 'deleteTask',
        summary: 'Delete a task',
        description: 'Deletes one of your tasks for good.',
        params: idParams,
        response: { 204: noContent('The task is deleted'), ...errors },
      },
    },
    async (request, reply) => {
      await service.delete(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
