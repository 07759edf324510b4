import { sql } from 'drizzle-orm';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { activityConsumer } from '../../src/infra/events/activity.js';
import type { DomainEvent } from '../../src/infra/events/events.js';
import { createInProcessBroker } from '../../src/infra/events/in-process.js';
import { rowsOf } from '../database.js';
import { createUser, useTestApp } from '../helper.js';
import { createAgent, csvOf, importNow, patchAgent, phones, tempUploadDir } from '../leads/support.js';
import { createTask } from '../tasks/support.js';

interface OutboxRow {
  topic: string;
  audience: string[];
  source: string | null;
  published: boolean;
  payload: Record<string, unknown>;
}

/**
 * Every state change writes its event to the outbox in its own transaction; the relay publishes it
 * and the activity consumer records it once. Runs on PGlite and on PostgreSQL with the in-process bus,
 * and through RabbitMQ in the production-shape run.
 */
describe('events through the transactional outbox', () => {
  const uploads = tempUploadDir();
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  async function outbox(): Promise<OutboxRow[]> {
    return rowsOf<OutboxRow>(
      await ctx.app.database.db.execute(
        sql`select topic, audience, source, payload, published_at is not null as published from outbox order by id`,
      ),
    );
  }
  /**
   * The activity recorded for these events (all of the outbox's, by default). Through RabbitMQ a
   * late delivery from an earlier test can land after the reset; it is not one of this test's.
   */
  async function activityTopics(ids?: string[]): Promise<string[]> {
    const mine = ids ? sql`a.event_id = any(${sql.param(ids)}::uuid[])` : sql`a.event_id in (select id from outbox)`;
    const rows = rowsOf<{ topic: string }>(
      await ctx.app.database.db.execute(sql`select a.topic from activity a where ${mine} order by a.event_id`),
    );
    return rows.map((r) => r.topic);
  }

  it('writes task.created, task.updated, task.completed and task.deleted for the owner, publishes each and records each once', async () => {
    const user = await createUser(ctx.app, 'member');
    const headers = { ...user.auth, 'x-client-id': 'tab-0123456789' };
    const created = await ctx.app.inject({ method: 'POST', url: '/api/v1/tasks', headers, payload: { title: 'Call' } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    for (const payload of [{ title: 'Call back' }, { status: 'completed' }]) {
      const res = await ctx.app.inject({ method: 'PATCH', url: `/api/v1/tasks/${id}`, headers, payload });
      expect(res.statusCode).toBe(200);
    }
    expect((await ctx.app.inject({ method: 'DELETE', url: `/api/v1/tasks/${id}`, headers })).statusCode).toBe(204);

    const written = await outbox();
    expect(written.map((e) => e.topic)).toEqual(['task.created', 'task.updated', 'task.completed', 'task.deleted']);
    for (const e of written) {
      expect(e.audience).toEqual([user.id]);
      expect(e.source).toBe('tab-0123456789');
    }
    expect(written[2]!.payload).toMatchObject({ task: { id, status: 'completed' } });
    expect(written[3]!.payload).toEqual({ id });

    await ctx.app.events.flush();
    expect((await outbox()).every((e) => e.published)).toBe(true);
    // Through RabbitMQ (the production-shape run) the consumer works on its own time: wait for it.
    await expect
      .poll(() => activityTopics(), { timeout: 10_000 })
      .toEqual(['task.created', 'task.updated', 'task.completed', 'task.deleted']);
  });

  it('writes one event per task a bulk action changed, and none for tasks it did not change', async () => {
    const user = await createUser(ctx.app, 'member');
    const a = await createTask(ctx.app, user, { title: 'a' });
    const b = await createTask(ctx.app, user, { title: 'b', status: 'completed' });
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tasks/bulk',
      headers: user.auth,
      payload: { ids: [a.id, b.id], action: 'complete' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const completed = (await outbox()).filter((e) => e.topic === 'task.completed');
    expect(completed.map((e) => (e.payload.task as { id: string }).id)).toEqual([a.id]);
  });

  it('leaves no event behind when the transaction that recorded it rolls back', async () => {
    await expect(
      ctx.app.database.db.transaction(async (tx) => {
        await ctx.app.events.record(tx, [{ topic: 'task.deleted', data: { id: 'x' }, audience: [] }]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await outbox()).toEqual([]);
  });

  it('tells the uploader an import completed and each agent how many leads they got, in the import’s transaction', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const first = await createAgent(ctx.app, admin, { name: 'First' });
    const second = await createAgent(ctx.app, admin, { name: 'Second' });
    const rows = phones(5).map((phone, i) => [`Lead ${i}`, phone, '']);
    const { done } = await importNow(ctx.app, admin, csvOf([['FirstName', 'Phone', 'Notes'], ...rows]));
    expect(done.status).toBe('completed');

    const written = await outbox();
    const completed = written.filter((e) => e.topic === 'lead.import.completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]!.audience).toEqual([admin.id]);
    expect(completed[0]!.payload).toMatchObject({ importId: done.id, validRows: 5, totalRows: 5 });
    const assigned = written.filter((e) => e.topic === 'lead.assigned');
    const counts = Object.fromEntries(assigned.map((e) => [e.audience[0], e.payload.count]));
    expect(counts).toEqual({ [first.id]: 3, [second.id]: 2 });
  });

  it('writes lead.assigned to the agent a lead is reassigned to, and user.deactivated when an agent is deactivated', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const from = await createAgent(ctx.app, admin, { name: 'From' });
    const to = await createAgent(ctx.app, admin, { name: 'To' });
    const { done } = await importNow(
      ctx.app,
      admin,
      csvOf([
        ['FirstName', 'Phone'],
        ['Ann', phones(1)[0]!],
      ]),
      {
        agentIds: [from.id],
      },
    );
    const lead = rowsOf<{ id: string }>(
      await ctx.app.database.db.execute(sql`select id from leads where import_id = ${done.id}`),
    )[0]!;
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/leads/${lead.id}`,
      headers: admin.auth,
      payload: { agentId: to.id },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await patchAgent(ctx.app, admin, from.id, { active: false })).statusCode).toBe(200);

    const written = await outbox();
    const reassigned = written.filter((e) => e.topic === 'lead.assigned' && e.payload.reason === 'reassign');
    expect(reassigned).toHaveLength(1);
    expect(reassigned[0]).toMatchObject({ audience: [to.id], payload: { count: 1, leadIds: [lead.id] } });
    const deactivated = written.filter((e) => e.topic === 'user.deactivated');
    expect(deactivated).toHaveLength(1);
    expect(deactivated[0]).toMatchObject({ audience: [from.id], payload: { userId: from.id } });
  });

  it('records a redelivered event once: the activity consumer is idempotent by event id', async () => {
    const consume = activityConsumer(ctx.app.database.db);
    const event: DomainEvent = {
      id: '01900000-0000-7000-8000-000000000001',
      topic: 'task.deleted',
      occurredAt: new Date().toISOString(),
      actorId: null,
      source: null,
      audience: [],
      data: { id: 'gone' },
    };
    await consume(event);
    await consume(event);
    await consume({ ...event });
    expect(await activityTopics([event.id])).toEqual(['task.deleted']);
  });
});

describe('the in-process bus', () => {
  const silent = pino({ level: 'silent' });
  const event = (id: string): DomainEvent => ({
    id,
    topic: 'task.deleted',
    occurredAt: new Date().toISOString(),
    actorId: null,
    source: null,
    audience: [],
    data: { id: uuidv7() },
  });

  it('retries a failing consumer with backoff until it succeeds', async () => {
    const bus = createInProcessBroker(silent);
    let calls = 0;
    await bus.consume('flaky', async () => {
      if (++calls < 3) throw new Error('not yet');
    });
    await bus.publish([event('a')]);
    await bus.idle();
    expect(calls).toBe(3);
    expect(bus.deadLetters).toEqual([]);
    await bus.close();
  });

  it('dead-letters an event after five failed attempts and keeps delivering the rest', async () => {
    const bus = createInProcessBroker(silent);
    const handled: string[] = [];
    let attempts = 0;
    await bus.consume('picky', async (e) => {
      if (e.id === 'bad') {
        attempts++;
        throw new Error('cannot handle');
      }
      handled.push(e.id);
    });
    await bus.publish([event('bad'), event('good')]);
    await bus.idle();
    expect(attempts).toBe(5);
    expect(handled).toEqual(['good']);
    expect(bus.deadLetters.map((d) => [d.consumer, d.event.id, d.error])).toEqual([['picky', 'bad', 'cannot handle']]);
    await bus.close();
  }, 20_000);
});
