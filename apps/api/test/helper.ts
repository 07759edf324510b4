import { and, count, eq } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Role } from '@crewdesk/contracts';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { scopes } from '../src/infra/cache/versioned.js';
import { users } from '../src/infra/db/schema/index.js';
import { REFRESH_COOKIE } from '../src/modules/auth/auth.routes.js';
import { resetDatabase, testDatabase } from './database.js';
import { checkResponsesAgainstDocument } from './openapi-check.js';
import { closeServices, resetServices, testServices } from './services.js';

export const PASSWORD = 'correct horse battery staple';

export function testConfig(env: Record<string, string> = {}) {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'memory://',
    LOG_LEVEL: 'silent',
    // Suites sign in hundreds of times a minute from one address; the limits get their own tests.
    RATE_LIMIT_AUTH_PER_MIN: '100000',
    RATE_LIMIT_API_PER_MIN: '100000',
    // Load shedding is not what these tests are about (it has its own): on a busy 2-core machine a
    // PGlite import (the database runs on the event loop) can stall a whole 1 s sample, which
    // under-pressure reads as infinite lag, and shed the suite's own requests.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...testServices(),
    ...env,
  });
}

export async function createTestApp(env: Record<string, string> = {}) {
  const app = await buildApp({ config: testConfig(env), database: await testDatabase() });
  // Every answer the suite receives is checked against the app's own OpenAPI document.
  checkResponsesAgainstDocument(app);
  await app.ready();
  return app;
}

/** Boots one app for the file and empties the tables before each test. */
export function useTestApp(env: Record<string, string> = {}) {
  const ctx = {} as { app: FastifyInstance };
  beforeAll(async () => {
    ctx.app = await createTestApp(env);
  });
  beforeEach(async () => {
    await resetDatabase(await testDatabase());
    await resetServices();
    // Cached answers describe rows the reset just removed.
    await ctx.app.versioned.bump(scopes.leads);
  });
  afterAll(async () => {
    await ctx.app?.close();
    await closeServices();
  });
  return ctx;
}

export interface SignedIn {
  id: string;
  email: string;
  role: Role;
  accessToken: string;
  refreshCookie: string;
  auth: { authorization: string };
}

let counter = 0;
export const uniqueEmail = (prefix = 'user') => `${prefix}-${process.pid}-${++counter}@example.com`;

export function refreshCookieOf(res: LightMyRequestResponse): string | undefined {
  return res.cookies.find((c) => c.name === REFRESH_COOKIE)?.value;
}

function signedIn(res: LightMyRequestResponse): SignedIn {
  if (res.statusCode >= 300) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const body = res.json();
  return {
    id: body.user.id,
    email: body.user.email,
    role: body.user.role,
    accessToken: body.accessToken,
    refreshCookie: refreshCookieOf(res) ?? '',
    auth: { authorization: `Bearer ${body.accessToken}` },
  };
}

export async function login(
  app: FastifyInstance,
  email: string,
  password = PASSWORD,
  headers: Record<string, string> = {},
) {
  return signedIn(
    await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, headers }),
  );
}

/** The stored account with this email, read from the database (undefined when there is none). */
export async function userByEmail(app: FastifyInstance, email: string) {
  const [row] = await app.database.db.select().from(users).where(eq(users.email, email));
  return row;
}

export async function activeAdminCount(app: FastifyInstance): Promise<number> {
  const [row] = await app.database.db
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.role, 'admin'), eq(users.active, true)));
  return row?.n ?? 0;
}

/** A user of the given role, created directly (admins and agents cannot sign themselves up). */
export async function createUser(app: FastifyInstance, role: Role = 'member', name = 'Test User'): Promise<SignedIn> {
  const email = uniqueEmail(role);
  await app.usersService.createAccount({ email, name, password: PASSWORD, role });
  return login(app, email);
}

export async function register(app: FastifyInstance, name = 'Test User'): Promise<SignedIn> {
  return signedIn(
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: uniqueEmail(), password: PASSWORD, name },
    }),
  );
}

export function refresh(app: FastifyInstance, cookie: string) {
  return app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { [REFRESH_COOKIE]: cookie } });
}
