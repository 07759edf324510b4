import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { DEVICE_COOKIE } from '../../src/modules/auth/auth.routes.js';
import { PASSWORD, createUser, uniqueEmail, useTestApp } from '../helper.js';
import { expectProblem } from './support.js';

function attempt(app: FastifyInstance, email: string, password: string, remoteAddress: string) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password },
    remoteAddress,
  });
}

const fifteenMinutes = 15 * 60;

function expectRetryAfter(res: LightMyRequestResponse, maxSeconds: number) {
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter), `Retry-After: ${String(res.headers['retry-after'])}`).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
}

describe('sign-in answers reveal nothing', () => {
  const ctx = useTestApp();

  it('unknown email and wrong password give the same status and byte-identical bodies', async () => {
    const user = await createUser(ctx.app, 'member');
    const unknown = await attempt(ctx.app, uniqueEmail('nobody'), 'whatever password', '192.0.2.1');
    const wrong = await attempt(ctx.app, user.email, 'not the password', '192.0.2.1');
    expectProblem(unknown, 401);
    expect(wrong.statusCode).toBe(unknown.statusCode);
    expect(wrong.body).toBe(unknown.body);
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.headers['content-type']).toBe(unknown.headers['content-type']);
    expect(wrong.cookies).toEqual([]);
    expect(unknown.cookies).toEqual([]);
  });

  it('a deactivated account with a wrong password gets that same answer; only the right password is told it is deactivated', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const user = await createUser(ctx.app, 'member');
    await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.auth,
      payload: { active: false },
    });
    const unknown = await attempt(ctx.app, uniqueEmail('nobody'), 'not the password', '192.0.2.2');
    const wrong = await attempt(ctx.app, user.email, 'not the password', '192.0.2.2');
    expect(wrong.statusCode).toBe(unknown.statusCode);
    expect(wrong.body).toBe(unknown.body);
    // Knowing the password is what it takes to learn the account is deactivated: nothing to enumerate.
    const right = await attempt(ctx.app, user.email, PASSWORD, '192.0.2.2');
    expectProblem(right, 403);
    expect(right.json().type).toBe('urn:crewdesk:problem:account-deactivated');
    expect(right.cookies).toEqual([]);
  });
});

describe('failed sign-in limit (LOGIN_MAX_FAILURES=3)', () => {
  const ctx = useTestApp({ LOGIN_MAX_FAILURES: '3' });

  it('after 3 failures from one address for one account, the next attempt (even with the right password) gets 429 + Retry-After', async () => {
    const user = await createUser(ctx.app, 'member');
    const address = '203.0.113.10';
    for (let i = 0; i < 3; i++) expectProblem(await attempt(ctx.app, user.email, 'wrong password', address), 401);
    const blocked = await attempt(ctx.app, user.email, PASSWORD, address);
    expectProblem(blocked, 429);
    expectRetryAfter(blocked, fifteenMinutes);
    expect(blocked.cookies).toEqual([]);
    expect(blocked.json().accessToken).toBeUndefined();
  });

  it('20 parallel wrong-password attempts from one address cannot get past the limit: at most 3 are checked', async () => {
    const user = await createUser(ctx.app, 'member');
    const address = '203.0.113.15';
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => attempt(ctx.app, user.email, 'wrong password', address)),
    );
    const statuses = answers.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expectProblem(await attempt(ctx.app, user.email, PASSWORD, address), 429);
  });

  it('the same account from another address with the right password still signs in', async () => {
    const user = await createUser(ctx.app, 'member');
    for (let i = 0; i < 4; i++) await attempt(ctx.app, user.email, 'wrong password', '203.0.113.20');
    expectProblem(await attempt(ctx.app, user.email, PASSWORD, '203.0.113.20'), 429);
    const elsewhere = await attempt(ctx.app, user.email, PASSWORD, '198.51.100.20');
    expect(elsewhere.statusCode, elsewhere.body).toBe(200);
    expect(typeof elsewhere.json().accessToken).toBe('string');
  });

  it('another account from the blocked address still signs in', async () => {
    const victim = await createUser(ctx.app, 'member');
    const colleague = await createUser(ctx.app, 'member');
    const address = '203.0.113.30';
    for (let i = 0; i < 3; i++) await attempt(ctx.app, victim.email, 'wrong password', address);
    expectProblem(await attempt(ctx.app, victim.email, PASSWORD, address), 429);
    const res = await attempt(ctx.app, colleague.email, PASSWORD, address);
    expect(res.statusCode, res.body).toBe(200);
  });

  it('a spoofed X-Forwarded-For does not get round the limit (TRUST_PROXY is off)', async () => {
    const user = await createUser(ctx.app, 'member');
    const address = '203.0.113.35';
    for (let i = 0; i < 3; i++) await attempt(ctx.app, user.email, 'wrong password', address);
    const spoofed = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: PASSWORD },
      headers: { 'x-forwarded-for': '198.51.100.99', 'x-real-ip': '198.51.100.99' },
      remoteAddress: address,
    });
    expectProblem(spoofed, 429);
  });

  it('failures for an unknown email are limited the same way, so the limit reveals nothing', async () => {
    const user = await createUser(ctx.app, 'member');
    const ghost = uniqueEmail('ghost');
    const address = '203.0.113.40';
    for (let i = 0; i < 3; i++) {
      await attempt(ctx.app, ghost, 'wrong password', address);
      await attempt(ctx.app, user.email, 'wrong password', address);
    }
    const a = await attempt(ctx.app, ghost, 'wrong password', address);
    const b = await attempt(ctx.app, user.email, 'wrong password', address);
    expectProblem(a, 429);
    expectProblem(b, 429);
    expect(a.json()).toEqual(b.json());
  });

  it('a successful sign-in clears the account’s failure count from that address', async () => {
    const user = await createUser(ctx.app, 'member');
    const address = '203.0.113.50';
    for (let i = 0; i < 2; i++) await attempt(ctx.app, user.email, 'wrong password', address);
    expect((await attempt(ctx.app, user.email, PASSWORD, address)).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) await attempt(ctx.app, user.email, 'wrong password', address);
    expect((await attempt(ctx.app, user.email, PASSWORD, address)).statusCode).toBe(200);
  });
});

describe('password change counts against the sign-in limits (LOGIN_MAX_FAILURES=3)', () => {
  const ctx = useTestApp({ LOGIN_MAX_FAILURES: '3' });
  const newPassword = 'a brand new passphrase 42';

  const change = (auth: { authorization: string }, currentPassword: string, address: string, device?: string) =>
    ctx.app.inject({
      method: 'POST',
      url: '/api/v1/me/password',
      headers: auth,
      payload: { currentPassword, newPassword },
      remoteAddress: address,
      cookies: device ? { [DEVICE_COOKIE]: device } : {},
    });

  it('after 3 wrong current passwords, POST /api/v1/me/password answers 429 + Retry-After even with the right one, and the password stays', async () => {
    const user = await createUser(ctx.app, 'member'); // a stolen access token, used from the thief's address
    const address = '203.0.113.120';
    for (let i = 0; i < 3; i++) expectProblem(await change(user.auth, 'wrong password', address), 400);
    const blocked = await change(user.auth, PASSWORD, address);
    expectProblem(blocked, 429);
    expectRetryAfter(blocked, fifteenMinutes);
    // One count: signing in to the account from there waits too.
    expectProblem(await attempt(ctx.app, user.email, PASSWORD, address), 429);
    // Nothing changed: the old password still signs in from elsewhere.
    expect((await attempt(ctx.app, user.email, PASSWORD, '198.51.100.120')).statusCode).toBe(200);
    expectProblem(await attempt(ctx.app, user.email, newPassword, '198.51.100.121'), 401);
  });

  it('the owner’s browser, with its device cookie, still changes the password while a thief on the same network is locked out', async () => {
    const email = uniqueEmail('owner');
    await ctx.app.usersService.createAccount({ email, name: 'Owner', password: PASSWORD, role: 'member' });
    const office = '192.0.2.120';
    const signedIn = await attempt(ctx.app, email, PASSWORD, office);
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    const device = signedIn.cookies.find((c) => c.name === DEVICE_COOKIE)!.value;
    const auth = { authorization: `Bearer ${signedIn.json().accessToken}` };
    for (let i = 0; i < 3; i++) expectProblem(await change(auth, 'wrong password', office), 400);
    expectProblem(await change(auth, PASSWORD, office), 429);
    const res = await change(auth, PASSWORD, office, device);
    expect(res.statusCode, res.body).toBe(204);
  });
});

describe('per-address rate limit on auth routes (RATE_LIMIT_AUTH_PER_MIN=5)', () => {
  const ctx = useTestApp({ RATE_LIMIT_AUTH_PER_MIN: '5' });

  it('the 6th login in a minute from one address gets 429 + Retry-After + RateLimit headers; another address is unaffected', async () => {
    const address = '203.0.113.60';
    for (let i = 0; i < 5; i++) {
      const res = await attempt(ctx.app, uniqueEmail('rl'), 'wrong password', address);
      expectProblem(res, 401);
      expect(res.headers['ratelimit-limit']).toBe('5');
      expect(res.headers['ratelimit-remaining']).toBe(String(4 - i));
    }
    const limited = await attempt(ctx.app, uniqueEmail('rl'), 'wrong password', address);
    expectProblem(limited, 429);
    expectRetryAfter(limited, 60);
    expect(limited.headers['ratelimit-limit']).toBe('5');
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect(Number(limited.headers['ratelimit-reset'])).toBeGreaterThan(0);

    const other = await attempt(ctx.app, uniqueEmail('rl'), 'wrong password', '198.51.100.60');
    expectProblem(other, 401);
  });

  it('a spoofed X-Forwarded-For does not reset the per-address count', async () => {
    const address = '203.0.113.65';
    for (let i = 0; i < 5; i++) await attempt(ctx.app, uniqueEmail('rl'), 'wrong password', address);
    const spoofed = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: uniqueEmail('rl'), password: 'wrong password' },
      headers: { 'x-forwarded-for': '198.51.100.98' },
      remoteAddress: address,
    });
    expectProblem(spoofed, 429);
  });

  it('register is limited per address too', async () => {
    const address = '203.0.113.70';
    const signUp = () =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: uniqueEmail('rl'), password: PASSWORD, name: 'Rate Limited' },
        remoteAddress: address,
      });
    for (let i = 0; i < 5; i++) expect((await signUp()).statusCode).toBe(201);
    const limited = await signUp();
    expectProblem(limited, 429);
    expectRetryAfter(limited, 60);
    expect(limited.headers['ratelimit-limit']).toBe('5');
  });
});

describe('guessing one account from many addresses (defaults: LOGIN_MAX_FAILURES=10, LOGIN_ACCOUNT_MAX_FAILURES=20)', () => {
  const ctx = useTestApp();

  /** A sign-in from `address`, with the browser's device cookie when it has one. */
  function signIn(email: string, password: string, address: string, device?: string) {
    return ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password },
      remoteAddress: address,
      cookies: device ? { [DEVICE_COOKIE]: device } : {},
    });
  }
  const deviceCookieOf = (res: LightMyRequestResponse) => {
    expect(res.statusCode, res.body).toBe(200);
    return res.cookies.find((c) => c.name === DEVICE_COOKIE)!.value;
  };
  /** 180 wrong passwords, 9 from each of 20 addresses (under the per-address limits), in order. */
  async function attack(email: string, device?: string) {
    const answers: LightMyRequestResponse[] = [];
    for (let i = 0; i < 180; i++)
      answers.push(await signIn(email, 'wrong password', `198.51.100.${(i % 20) + 1}`, device));
    return answers;
  }

  it('180 guesses from 20 addresses are mostly refused with 429 + Retry-After before the password is checked; the owner’s browser with its device cookie still signs in, a browser without one waits too', async () => {
    const user = await createUser(ctx.app, 'member');
    const ownerAddress = '192.0.2.50';
    const ownerDevice = deviceCookieOf(await signIn(user.email, PASSWORD, ownerAddress));
    // The attacker's own account gives it a device cookie, which says nothing about this account.
    const attacker = await createUser(ctx.app, 'member');
    const attackerDevice = deviceCookieOf(await signIn(attacker.email, PASSWORD, '198.51.100.1'));

    const checks = vi.spyOn(ctx.app.usersService, 'checkCredentials');
    let answers: LightMyRequestResponse[];
    try {
      answers = await attack(user.email, attackerDevice);
      const refused = answers.filter((r) => r.statusCode === 429);
      const checked = answers.filter((r) => r.statusCode === 401);
      expect(refused.length + checked.length).toBe(180);
      expect(refused.length).toBeGreaterThanOrEqual(150);
      for (const res of refused) {
        expectProblem(res, 429);
        expectRetryAfter(res, fifteenMinutes);
      }
      // Refused attempts never reached the password check.
      expect(checks).toHaveBeenCalledTimes(checked.length);
    } finally {
      checks.mockRestore();
    }

    // Each guess let through holds the account's turn twice as long as the last. Whether the turn
    // is still held when the attack ends depends on how fast the 180 requests went (through Redis,
    // on a busy machine, it may have lapsed), so wait for the next guess to be let through: the owner
    // right after it, without the device cookie, finds the turn held (for 2 s at the least).
    let guess: LightMyRequestResponse;
    const deadline = Date.now() + 60_000;
    do {
      guess = await signIn(user.email, 'wrong password', '198.51.100.99', attackerDevice);
      if (guess.statusCode === 429) await new Promise((resolve) => setTimeout(resolve, 200));
    } while (guess.statusCode === 429 && Date.now() < deadline);
    expect(guess.statusCode, guess.body).toBe(401);
    // Without the device cookie, even the owner with the right password waits its turn.
    const elsewhere = await signIn(user.email, PASSWORD, '192.0.2.51');
    expectProblem(elsewhere, 429);
    expectRetryAfter(elsewhere, fifteenMinutes);
    // The browser that signed in before is not slowed by someone else's attack.
    const owner = await signIn(user.email, PASSWORD, ownerAddress, ownerDevice);
    expect(owner.statusCode, owner.body).toBe(200);
    expect(typeof owner.json().accessToken).toBe('string');
  }, 120_000);

  it('a device cookie that fails LOGIN_MAX_FAILURES times is itself locked out, and its failures do not slow the account for others', async () => {
    const user = await createUser(ctx.app, 'member');
    const stolen = deviceCookieOf(await signIn(user.email, PASSWORD, '192.0.2.60'));
    for (let i = 0; i < 10; i++) {
      expectProblem(await signIn(user.email, 'wrong password', `198.51.100.${i + 30}`, stolen), 401);
    }
    const locked = await signIn(user.email, PASSWORD, '198.51.100.50', stolen);
    expectProblem(locked, 429);
    expectRetryAfter(locked, fifteenMinutes);

    const fresh = await signIn(user.email, PASSWORD, '192.0.2.61');
    expect(fresh.statusCode, fresh.body).toBe(200);
  });
});
