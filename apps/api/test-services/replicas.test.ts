import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream } from '../test/events/stream-client.js';
import type { SignedIn } from '../test/helper.js';
import {
  killLeftovers,
  removeDir,
  startServer,
  tempDataDir,
  waitReady,
  type ServerProcess,
} from '../test/ops/processes.js';
import { startProductionServers, type ProductionServers } from './production-servers.js';

const PASSWORD = 'correct horse battery staple';
const AUTH_LIMIT = 6;

/**
 * Two API server processes (separate Node processes, as two replicas behind a gateway) on one
 * PostgreSQL, one Redis and one RabbitMQ, sharing only those and the signing key: a rate limit and
 * a sign-out made through one hold on the other, and a live stream on one receives a change made
 * through the other.
 */
describe('two API processes on the same PostgreSQL, Redis and RabbitMQ', () => {
  let servers: ProductionServers;
  const dirs: string[] = [];
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    servers = await startProductionServers();
    const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const env = {
      ...servers.env,
      JWT_PRIVATE_KEY: key,
      ALLOW_REGISTRATION: 'true',
      RATE_LIMIT_AUTH_PER_MIN: String(AUTH_LIMIT),
      RATE_LIMIT_API_PER_MIN: '100000',
    };
    const start = async () => {
      const dir = tempDataDir();
      dirs.push(dir);
      return startServer(dir, env);
    };
    // One after the other: both run the migrations at start, under an advisory lock.
    a = await start();
    await waitReady(a);
    b = await start();
    await waitReady(b);
  }, 120_000);

  afterAll(async () => {
    await killLeftovers();
    await servers?.stop();
    for (const dir of dirs) removeDir(dir);
  });

  async function signIn(server: ServerProcess, email: string) {
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    return res;
  }

  interface SignInBody {
    user: { id: string; email: string; role: SignedIn['role'] };
    accessToken: string;
  }

  function signedIn(body: SignInBody, cookie = '') {
    return {
      id: body.user.id,
      email: body.user.email,
      role: body.user.role,
      accessToken: body.accessToken,
      refreshCookie: cookie,
      auth: { authorization: `Bearer ${body.accessToken}` },
    } satisfies SignedIn;
  }

  let user: SignedIn;

  it('registers through one process and signs in through the other (shared database and key)', async () => {
    const res = await fetch(`${a.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'replica@example.com', password: PASSWORD, name: 'Replica' }),
    });
    expect(res.status).toBe(201);
    user = signedIn((await res.json()) as SignInBody);
    const me = await fetch(`${b.url}/api/v1/me`, { headers: user.auth });
    expect(me.status).toBe(200);
  });

  it('delivers a change made through one process to a live stream on the other', async () => {
    const stream = await openStream(a.url, user);
    try {
      expect((await stream.next())?.event).toBe('ready');
      const started = Date.now();
      const res = await fetch(`${b.url}/api/v1/tasks`, {
        method: 'POST',
        headers: { ...user.auth, 'content-type': 'application/json', 'x-client-id': 'other-device' },
        body: JSON.stringify({ title: 'from the other replica' }),
      });
      expect(res.status).toBe(201);
      const frame = await stream.next(10_000);
      expect(frame?.event).toBe('task.created');
      expect(JSON.parse(frame!.data!)).toMatchObject({
        source: 'other-device',
        data: { task: { title: 'from the other replica' } },
      });
      console.log(`replicas: a change through process b reached a stream on process a in ${Date.now() - started} ms`);
    } finally {
      stream.close();
    }
  });

  it('holds a sign-out across processes: a session ended through one is refused by the other at once', async () => {
    const res = await signIn(b, user.email);
    expect(res.status).toBe(200);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .join('; ');
    const session = signedIn((await res.json()) as SignInBody, cookie);
    const me = () => fetch(`${a.url}/api/v1/me`, { headers: session.auth });
    expect((await me()).status).toBe(200); // process a has seen the session live
    const out = await fetch(`${b.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { ...session.auth, cookie },
    });
    expect(out.status).toBeLessThan(300);
    expect((await me()).status).toBe(401);
  });

  it('holds the sign-in rate limit across processes: attempts through one count on the other', async () => {
    // The earlier tests signed in once; the rest of the minute's budget is spent alternating.
    const statuses: number[] = [];
    for (let i = 0; i < AUTH_LIMIT; i++) statuses.push((await signIn(i % 2 ? a : b, user.email)).status);
    const refused = statuses.indexOf(429);
    expect(refused, `statuses ${statuses.join(',')}`).toBeGreaterThan(0);
    expect(statuses.slice(0, refused).every((s) => s === 200)).toBe(true);
    const last = await signIn(a, user.email);
    expect(last.status).toBe(429);
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
