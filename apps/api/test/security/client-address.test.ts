import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { PASSWORD, createUser, useTestApp } from '../helper.js';
import { bearer, expectProblem } from './support.js';

/** A login as it reaches the API through the gateway: the proxy is the socket's peer. */
function viaProxy(app: FastifyInstance, email: string, password: string, proxy: string, forwardedFor: string) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password },
    remoteAddress: proxy,
    headers: { 'x-forwarded-for': forwardedFor, 'x-real-ip': forwardedFor.split(',').at(-1)!.trim() },
  });
}

/** An address the client writes in front of what the proxy appends, different every time. */
const spoofed = (i: number) => `198.51.100.${(i % 250) + 1}`;

async function sessionAddresses(app: FastifyInstance, accessToken: string) {
  const res = await app.inject({ method: 'GET', url: '/api/v1/me/sessions', headers: bearer(accessToken) });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().items as { ip: string | null }[]).map((s) => s.ip);
}

describe('client address behind one proxy (TRUST_PROXY=1)', () => {
  const ctx = useTestApp({ TRUST_PROXY: '1', LOGIN_MAX_FAILURES: '3' });
  const proxy = '10.0.0.2';

  it('40 wrong passwords with a rotating left-most X-Forwarded-For entry count against the address the proxy appended', async () => {
    const user = await createUser(ctx.app, 'member');
    const client = '203.0.113.80';
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      statuses.push(
        (await viaProxy(ctx.app, user.email, 'wrong password', proxy, `${spoofed(i)}, ${client}`)).statusCode,
      );
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.slice(3).every((s) => s === 429)).toBe(true);
    // Even the right password from that client waits; the same account from another client does not.
    expectProblem(await viaProxy(ctx.app, user.email, PASSWORD, proxy, `${spoofed(99)}, ${client}`), 429);
    const other = await viaProxy(ctx.app, user.email, PASSWORD, proxy, `${client}, 203.0.113.81`);
    expect(other.statusCode, other.body).toBe(200);
  });

  it('the session list records the address the proxy appended, not the one the client wrote', async () => {
    const user = await createUser(ctx.app, 'member');
    const res = await viaProxy(ctx.app, user.email, PASSWORD, proxy, '198.51.100.7, 203.0.113.82');
    expect(res.statusCode, res.body).toBe(200);
    const addresses = await sessionAddresses(ctx.app, res.json().accessToken);
    expect(addresses).toContain('203.0.113.82');
    expect(addresses).not.toContain('198.51.100.7');
    expect(addresses).not.toContain(proxy);
  });

  it('a client that reaches the API directly from a public address cannot name itself with X-Forwarded-For', async () => {
    const user = await createUser(ctx.app, 'member');
    const direct = '203.0.113.85';
    for (let i = 0; i < 3; i++) await viaProxy(ctx.app, user.email, 'wrong password', direct, spoofed(i));
    expectProblem(await viaProxy(ctx.app, user.email, PASSWORD, direct, spoofed(7)), 429);
  });
});

describe('client address behind trusted proxy addresses (TRUST_PROXY=10.0.0.0/8)', () => {
  const ctx = useTestApp({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1', LOGIN_MAX_FAILURES: '3' });

  it('two trusted hops (gateway, ingress) are skipped and a spoofed left-most entry changes nothing', async () => {
    const user = await createUser(ctx.app, 'member');
    const client = '203.0.113.90';
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const chain = `${spoofed(i)}, ${client}, 10.1.1.1`;
      statuses.push((await viaProxy(ctx.app, user.email, 'wrong password', '10.0.0.2', chain)).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, ...Array<number>(7).fill(429)]);

    const signedIn = await viaProxy(ctx.app, user.email, PASSWORD, '10.0.0.2', `10.9.9.9, 203.0.113.91, 10.1.1.1`);
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    expect(await sessionAddresses(ctx.app, signedIn.json().accessToken)).toContain('203.0.113.91');
  });

  it('a peer that is not a trusted proxy is the client, whatever it forwards', async () => {
    const user = await createUser(ctx.app, 'member');
    const res = await viaProxy(ctx.app, user.email, PASSWORD, '203.0.113.95', '198.51.100.9');
    expect(res.statusCode, res.body).toBe(200);
    const addresses = await sessionAddresses(ctx.app, res.json().accessToken);
    expect(addresses).toContain('203.0.113.95');
    expect(addresses).not.toContain('198.51.100.9');
  });
});
