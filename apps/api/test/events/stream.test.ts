import { beforeAll, describe, expect, it } from 'vitest';
import { createUser, login, useTestApp, type SignedIn } from '../helper.js';
import { createAgent, patchAgent } from '../leads/support.js';
import { openStream } from './stream-client.js';

/** The live stream: each user receives their own events, resumes after Last-Event-ID, resyncs otherwise. */
describe('GET /api/v1/events/stream', () => {
  const ctx = useTestApp();
  let base = '';
  beforeAll(async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(ctx.app.server.address() as { port: number }).port}`;
  });

  const createTask = (user: SignedIn, title: string, clientId?: string) =>
    ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: { ...user.auth, ...(clientId ? { 'x-client-id': clientId } : {}) },
      payload: { title },
    });

  it('refuses a request without a valid access token (401), as every other endpoint does', async () => {
    const res = await fetch(`${base}/api/v1/events/stream`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('streams a user their own task events, not another user’s, with the tab that caused them', async () => {
    const me = await createUser(ctx.app, 'member');
    const other = await createUser(ctx.app, 'member');
    const stream = await openStream(base, me);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.res.headers.get('x-accel-buffering')).toBe('no');
    expect((await stream.next())?.event).toBe('ready');

    await createTask(other, 'not mine');
    await createTask(me, 'mine', 'laptop-tab-1');
    await ctx.app.events.flush();
    const frame = await stream.next();
    expect(frame?.event).toBe('task.created');
    const body = JSON.parse(frame!.data!);
    expect(body).toMatchObject({ topic: 'task.created', source: 'laptop-tab-1', data: { task: { title: 'mine' } } });
    expect(body.id).toBe(frame!.id);
    expect(body).not.toHaveProperty('audience');
    stream.close();
  });

  it('replays what a client missed after its Last-Event-ID, and asks for a resync when that id is unknown', async () => {
    const me = await createUser(ctx.app, 'member');
    const first = await openStream(base, me);
    await first.next(); // ready
    await createTask(me, 'one');
    await ctx.app.events.flush();
    const seen = await first.next();
    first.close();

    await createTask(me, 'two');
    await createTask(me, 'three');
    await ctx.app.events.flush();

    const resumed = await openStream(base, me, seen!.id);
    expect((await resumed.next())?.event).toBe('ready');
    const replayed = [await resumed.next(), await resumed.next()].map((f) => JSON.parse(f!.data!).data.task.title);
    expect(replayed).toEqual(['two', 'three']);
    resumed.close();

    const lost = await openStream(base, me, '01900000-0000-7000-8000-00000000dead');
    expect((await lost.next())?.event).toBe('ready');
    expect((await lost.next())?.event).toBe('resync');
    lost.close();
  });

  it('ends a deactivated agent’s stream when their deactivation is published', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin, { name: 'Leaving' });
    const signedIn = await login(ctx.app, agent.email);
    const stream = await openStream(base, signedIn);
    await stream.next(); // ready
    expect((await patchAgent(ctx.app, admin, agent.id, { active: false })).statusCode).toBe(200);
    await ctx.app.events.flush();
    expect((await stream.next())?.event).toBe('user.deactivated');
    expect(await stream.next()).toBeNull();
  });

  it('rejects a Last-Event-ID that is not an event id with a problem naming the header', async () => {
    const me = await createUser(ctx.app, 'member');
    const res = await fetch(`${base}/api/v1/events/stream`, { headers: { ...me.auth, 'last-event-id': 'nope' } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('last-event-id');
  });
});
