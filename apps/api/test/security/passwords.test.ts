import { createHash, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { sessions, users } from '../../src/infra/db/schema/index.js';
import { isCommonPassword } from '../../src/modules/users/passwords.js';
import {
  PASSWORD,
  createUser,
  refresh,
  refreshCookieOf,
  register,
  uniqueEmail,
  useTestApp,
  userByEmail,
} from '../helper.js';
import { errorPaths, expectProblem, sessionIdOfCookie } from './support.js';

/** A password no list contains, of exactly this length. */
const unusual = (length: number) => randomBytes(length).toString('base64url').slice(0, length);

describe('password rules', () => {
  const ctx = useTestApp();

  const signUp = (password: string, email = uniqueEmail('pw')) =>
    ctx.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password, name: 'Pat' } });

  it.each(['password1', 'qwertyuiop', 'Password1', 'QWERTYUIOP'])(
    'a common password (%s) is refused with 400 naming password, and no account is made',
    async (password) => {
      expect(isCommonPassword(password)).toBe(true); // it is on the list the server uses
      const email = uniqueEmail('pw');
      const res = await signUp(password, email);
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(['password']);
      expect(await userByEmail(ctx.app, email)).toBeUndefined();
    },
  );

  it('a 7-character password is refused with 400 naming password', async () => {
    const res = await signUp(unusual(7));
    expectProblem(res, 400);
    expect(errorPaths(res)).toContain('password');
  });

  it('a 257-character password is refused with 400 naming password', async () => {
    const res = await signUp(unusual(257));
    expectProblem(res, 400);
    expect(errorPaths(res)).toContain('password');
  });

  it.each([8, 256])('an unusual %i-character password is accepted (the bounds are inclusive)', async (length) => {
    const email = uniqueEmail('pw');
    const password = unusual(length);
    const res = await signUp(password, email);
    expect(res.statusCode, res.body).toBe(201);
    const signIn = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    expect(signIn.statusCode).toBe(200);
  });

  it('changing to a common password is refused naming newPassword, and the old password keeps working', async () => {
    const user = await register(ctx.app);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/me/password',
      headers: user.auth,
      payload: { currentPassword: PASSWORD, newPassword: 'password1' },
    });
    expectProblem(res, 400);
    expect(errorPaths(res)).toEqual(['newPassword']);
    const signIn = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: PASSWORD },
    });
    expect(signIn.statusCode).toBe(200);
  });

  it('a password change needs the current password (400 naming currentPassword otherwise)', async () => {
    const user = await register(ctx.app);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/me/password',
      headers: user.auth,
      payload: { currentPassword: 'not my password', newPassword: unusual(20) },
    });
    expectProblem(res, 400);
    expect(errorPaths(res)).toEqual(['currentPassword']);
  });

  it('an admin creating a user with a common password is refused naming password', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const email = uniqueEmail('pw');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: admin.auth,
      payload: { email, name: 'Weak', password: 'qwertyuiop', role: 'agent' },
    });
    expectProblem(res, 400);
    expect(errorPaths(res)).toEqual(['password']);
    expect(await userByEmail(ctx.app, email)).toBeUndefined();
  });
});

describe('what is stored', () => {
  const ctx = useTestApp();

  it('the password is stored as an argon2id hash (OWASP parameters), never in clear', async () => {
    const user = await register(ctx.app);
    const [row] = await ctx.app.database.db
      .select({ passwordHash: users.passwordHash })
      .from(users)
      .where(eq(users.id, user.id));
    expect(row?.passwordHash.startsWith('$argon2id$')).toBe(true);
    expect(row?.passwordHash).toContain('m=19456,t=2,p=1');
    expect(row?.passwordHash).not.toContain(PASSWORD);
  });

  it('the refresh token is stored only as its SHA-256, before and after a rotation', async () => {
    const user = await register(ctx.app);
    const sid = sessionIdOfCookie(user.refreshCookie);
    const secretPart = user.refreshCookie.slice(sid.length + 1);
    expect(secretPart.length).toBeGreaterThanOrEqual(43); // 256 random bits

    const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
    const stored = async () => {
      const rows = await ctx.app.database.db.select().from(sessions).where(eq(sessions.userId, user.id));
      expect(rows).toHaveLength(1);
      return rows[0]!;
    };
    const expectNoPlaintext = (row: object, token: string) => {
      const text = JSON.stringify(row);
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.slice(sid.length + 1));
    };

    const first = await stored();
    expect(first.tokenHash).toBe(sha256(user.refreshCookie));
    expectNoPlaintext(first, user.refreshCookie);

    const rotated = refreshCookieOf(await refresh(ctx.app, user.refreshCookie));
    expect(rotated).toBeTruthy();
    const second = await stored();
    expect(second.tokenHash).toBe(sha256(rotated!));
    expect(second.previousTokenHash).toBe(sha256(user.refreshCookie));
    expectNoPlaintext(second, user.refreshCookie);
    expectNoPlaintext(second, rotated!);
  });

  it('the refresh token never appears in a JSON body', async () => {
    const email = uniqueEmail('pw');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: PASSWORD, name: 'Pat' },
    });
    const cookie = refreshCookieOf(res)!;
    expect(cookie).toBeTruthy();
    expect(res.body).not.toContain(cookie.slice(37));
    const refreshed = await refresh(ctx.app, cookie);
    expect(refreshed.body).not.toContain(refreshCookieOf(refreshed)!.slice(37));
  });
});
