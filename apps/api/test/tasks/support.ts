import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Task } from '@crewdesk/contracts';
import type { SignedIn } from '../helper.js';

export type TaskInput = {
  title: string;
  description?: string;
  status?: 'pending' | 'completed';
  priority?: 'low' | 'medium' | 'high';
  dueDate?: string | null;
};

export interface TaskPage {
  items: Task[];
  nextCursor: string | null;
}

export async function createTask(app: FastifyInstance, user: SignedIn, payload: TaskInput): Promise<Task> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: user.auth, payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Task;
}

/** Creates the tasks one after another, so creation order is also created_at and id order. */
export async function createTasks(app: FastifyInstance, user: SignedIn, inputs: TaskInput[]): Promise<Task[]> {
  const out: Task[] = [];
  for (const input of inputs) out.push(await createTask(app, user, input));
  return out;
}

export async function getTask(app: FastifyInstance, user: SignedIn, id: string) {
  return app.inject({ method: 'GET', url: `/api/v1/tasks/${id}`, headers: user.auth });
}

export function listRaw(app: FastifyInstance, user: SignedIn, query: Record<string, string | number> = {}) {
  return app.inject({
    method: 'GET',
    url: '/api/v1/tasks',
    headers: user.auth,
    query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
  });
}

export async function list(
  app: FastifyInstance,
  user: SignedIn,
  query: Record<string, string | number> = {},
): Promise<TaskPage> {
  const res = await listRaw(app, user, query);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as TaskPage;
}

/** Follows nextCursor from the first page until it is null; returns every page. */
export async function walkPages(
  app: FastifyInstance,
  user: SignedIn,
  query: Record<string, string | number>,
  maxPages = 50,
): Promise<TaskPage[]> {
  const pages: TaskPage[] = [];
  let cursor: string | null = null;
  do {
    const page: TaskPage = await list(app, user, cursor ? { ...query, cursor } : query);
    pages.push(page);
    cursor = page.nextCursor;
    if (pages.length > maxPages) throw new Error(`pagination did not end after ${maxPages} pages`);
  } while (cursor);
  return pages;
}

/** A 4xx answer in problem+json, optionally naming the fields in errors[].path. */
export function expectProblem(res: LightMyRequestResponse, status: number, ...paths: string[]) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json() as { type: string; title: string; status: number; errors?: { path: string }[] };
  expect(body.status).toBe(status);
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
  for (const path of paths) expect(body.errors?.map((e) => e.path)).toContain(path);
  return body;
}

/** Sorts ascending by each key in turn (like ORDER BY a, b); strings compare by code point, as uuid and C order do. */
export function orderBy<T>(items: T[], ...keys: ((item: T) => string | number)[]): T[] {
  return [...items].sort((a, b) => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });
}

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const daysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
