import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { eq, sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { sessions } from '../../src/infra/db/schema/index.js';

/** The answer is an RFC 9457 problem with this status, served as application/problem+json. */
export function expectProblem(res: LightMyRequestResponse, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  const body = res.json() as { type: unknown; title: unknown; status: unknown; errors?: { path: string }[] };
  expect(body.status).toBe(status);
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
  return body;
}

/** The field paths a 400 problem names. */
export function errorPaths(res: LightMyRequestResponse): string[] {
  return ((res.json() as { errors?: { path: string }[] }).errors ?? []).map((e) => e.path);
}

export function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

export const me = (app: FastifyInstance, token: string) =>
  app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });

/** The session id inside a refresh token (`<session id>.<random>`). */
export const sessionIdOfCookie = (cookie: string) => cookie.split('.')[0]!;

/** Pretend the last rotation of this session happened `seconds` ago (past the grace window). */
export async function ageLastRotation(app: FastifyInstance, sessionId: string, seconds: number) {
  await app.database.db
    .update(sessions)
    .set({ rotatedAt: sql`now() - make_interval(secs => ${seconds})` })
    .where(eq(sessions.id, sessionId));
}

export async function sessionRow(app: FastifyInstance, sessionId: string) {
  const [row] = await app.database.db.select().from(sessions).where(eq(sessions.id, sessionId));
  return row;
}

/** A well-formed id that names nothing. */
export const MISSING_ID = '0190a000-0000-7000-8000-000000000001';
