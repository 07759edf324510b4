import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
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
import { sendCsv } from '../../shared/csv.js';
import { iso, isoOrNull } from '../../shared/time.js';
import { actorOf } from '../auth/index.js';
import type { TaskRow } from './tasks.repository.js';
import { toTaskDto, type TasksService } from './tasks.service.js';

const CSV_HEADER = ['id', 'title', 'description', 'status', 'priority', 'dueDate', 'createdAt', 'completedAt'];

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
        querystring: listTasksQuery,
        response: { 200: taskPage, ...errors },
      },
    },
    async (request) => service.list(actorOf(request), request.query),
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
        body: createTaskBody,
        response: { 201: task, ...errors },
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
        querystring: taskStatsQuery,
        response: { 200: taskStats, ...errors },
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
        querystring: exportTasksQuery,
        produces: ['text/csv'],
        // 200 is a CSV stream, not JSON, so only the errors have schemas.
        response: errors,
      },
    },
    async (request, reply) => {
      const toRow = (t: TaskRow) => [
        t.id,
        t.title,
        t.description,
        t.status,
        t.priority,
        isoOrNull(t.dueDate),
        iso(t.createdAt),
        isoOrNull(t.completedAt),
      ];
      return sendCsv(reply, 'tasks', CSV_HEADER, service.export(actorOf(request), request.query), toRow);
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
        body: bulkTaskBody,
        response: { 200: bulkTaskResult, ...errors },
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
        params: idParams,
        response: { 200: task, ...errors },
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
        params: idParams,
        body: replaceTaskBody,
        response: { 200: task, ...errors },
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
        params: idParams,
        body: updateTaskBody,
        response: { 200: task, ...errors },
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
        params: idParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await service.delete(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
