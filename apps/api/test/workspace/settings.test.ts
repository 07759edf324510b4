import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { WorkspaceSettings } from '@crewdesk/contracts';
import { createUser, PASSWORD, uniqueEmail, useTestApp, type SignedIn } from '../helper.js';
import { expectProblem } from '../leads/support.js';

const URL = '/api/v1/workspace/settings';
const get = (app: FastifyInstance, who: SignedIn) => app.inject({ method: 'GET', url: URL, headers: who.auth });
const patch = (app: FastifyInstance, who: SignedIn, payload: unknown) =>
  app.inject({ method: 'PATCH', url: URL, headers: who.auth, payload: payload as Record<string, unknown> });
const register = (app: FastifyInstance) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email: uniqueEmail('signup'), password: PASSWORD, name: 'New Person' },
  });
const setupStatus = async (app: FastifyInstance) =>
  (await app.inject({ method: 'GET', url: '/api/v1/auth/setup-status' })).json() as { registrationOpen: boolean };

describe('workspace settings: the environment is the default', () => {
  const ctx = useTestApp({ DEFAULT_PHONE_REGION: 'GB', ALLOW_REGISTRATION: 'false' });

  it('answers DEFAULT_PHONE_REGION and ALLOW_REGISTRATION until an admin saves settings, with an example number', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const res = await get(ctx.app, admin);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      defaultPhoneCountry: 'GB',
      publicSignup: false,
      phoneExample: { national: '07400 123456', international: '+44 7400 123456' },
    });
  });
});

describe('workspace settings', () => {
  const ctx = useTestApp();

  it('lets an admin set the default phone country (stored, upper-cased) and clear it again', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const set = await patch(ctx.app, admin, { defaultPhoneCountry: 'in' });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toEqual({
      defaultPhoneCountry: 'IN',
      publicSignup: true,
      phoneExample: { national: '081234 56789', international: '+91 81234 56789' },
    });
    expect((await get(ctx.app, admin)).json<WorkspaceSettings>().defaultPhoneCountry).toBe('IN');
    const cleared = await patch(ctx.app, admin, { defaultPhoneCountry: null });
    expect(cleared.json()).toMatchObject({ defaultPhoneCountry: null, phoneExample: null });
  });

  it('refuses a country that is not ISO 3166-1 alpha-2 or has no phone numbers, an empty body and unknown fields, naming the field', async () => {
    const admin = await createUser(ctx.app, 'admin');
    expectProblem(await patch(ctx.app, admin, { defaultPhoneCountry: 'India' }), 400, 'defaultPhoneCountry');
    const zz = expectProblem(await patch(ctx.app, admin, { defaultPhoneCountry: 'ZZ' }), 400, 'defaultPhoneCountry');
    expect(zz.errors?.[0]?.message).toMatch(/ZZ is not a country/);
    expectProblem(await patch(ctx.app, admin, { publicSignup: 'no' }), 400, 'publicSignup');
    expectProblem(await patch(ctx.app, admin, {}), 400);
    expectProblem(await patch(ctx.app, admin, { theme: 'dark' }), 400);
    expect((await get(ctx.app, admin)).json()).toMatchObject({ defaultPhoneCountry: null, publicSignup: true });
  });

  it('is for admins only: 403 to agents and members, 401 without a token', async () => {
    for (const role of ['agent', 'member'] as const) {
      const user = await createUser(ctx.app, role);
      expectProblem(await get(ctx.app, user), 403);
      expectProblem(await patch(ctx.app, user, { publicSignup: false }), 403);
    }
    expect((await ctx.app.inject({ method: 'GET', url: URL })).statusCode).toBe(401);
  });

  it('closes public sign-up with a 403 saying so, tells the sign-in page, and opens it again', async () => {
    const admin = await createUser(ctx.app, 'admin');
    expect((await register(ctx.app)).statusCode).toBe(201);
    expect((await patch(ctx.app, admin, { publicSignup: false })).statusCode).toBe(200);
    const closed = expectProblem(await register(ctx.app), 403);
    expect(closed.detail).toBe('Sign-up is closed; ask an admin of this workspace for an account');
    expect(await setupStatus(ctx.app)).toMatchObject({ registrationOpen: false });
    expect((await patch(ctx.app, admin, { publicSignup: true })).statusCode).toBe(200);
    expect(await setupStatus(ctx.app)).toMatchObject({ registrationOpen: true });
    expect((await register(ctx.app)).statusCode).toBe(201);
  });
});
