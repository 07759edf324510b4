import { sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { describe, expect, it } from 'vitest';
import { createUser, useTestApp } from '../helper.js';
import { createAgent, insertLead } from './support.js';

/**
 * Leads and assignments reference users, imports and leads through statement-level triggers
 * (migration 0002) rather than row-level foreign keys. These prove the same rules hold.
 */
describe('references of leads and assignments', () => {
  const ctx = useTestApp();
  const run = (query: ReturnType<typeof sql>) => ctx.app.database.db.execute(query);
  /** The database's error code, through the driver's wrapper. */
  const codeOf = async (work: Promise<unknown>) => {
    const err = (await work.then(
      () => null,
      (e: unknown) => e,
    )) as { code?: string; cause?: { code?: string } } | null;
    return err?.cause?.code ?? err?.code ?? 'no error';
  };

  it('refuses a lead whose agent or import does not exist, on insert and on update', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin);
    expect(
      await codeOf(
        run(
          sql`insert into leads (id, first_name, phone, agent_id) values (${uuidv7()}, 'A', '+14155550100', ${uuidv7()})`,
        ),
      ),
    ).toBe('23503');
    expect(
      await codeOf(
        run(
          sql`insert into leads (id, first_name, phone, import_id) values (${uuidv7()}, 'A', '+14155550101', ${uuidv7()})`,
        ),
      ),
    ).toBe('23503');
    const lead = await insertLead(ctx.app, { phone: '+14155550102', agentId: agent.id });
    expect(await codeOf(run(sql`update leads set agent_id = ${uuidv7()} where id = ${lead}`))).toBe('23503');
    expect(await codeOf(run(sql`update leads set agent_id = ${admin.id} where id = ${lead}`))).toBe('no error');
  });

  it('refuses an assignment whose lead or users do not exist', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin);
    const lead = await insertLead(ctx.app, { phone: '+14155550103', agentId: agent.id });
    const assign = (leadId: string, agentId: string, by: string | null) =>
      run(sql`insert into assignments (id, lead_id, agent_id, assigned_by, reason)
              values (${uuidv7()}, ${leadId}, ${agentId}, ${by}, 'reassign')`);
    expect(await codeOf(assign(uuidv7(), agent.id, admin.id))).toBe('23503');
    expect(await codeOf(assign(lead, uuidv7(), admin.id))).toBe('23503');
    expect(await codeOf(assign(lead, agent.id, uuidv7()))).toBe('23503');
    expect(await codeOf(assign(lead, agent.id, null))).toBe('no error');
  });

  it('refuses deleting a user who holds leads, and deleting a lead deletes its history', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin);
    const lead = await insertLead(ctx.app, { phone: '+14155550104', agentId: agent.id });
    await run(sql`insert into assignments (id, lead_id, agent_id, assigned_by, reason)
                  values (${uuidv7()}, ${lead}, ${agent.id}, ${admin.id}, 'reassign')`);
    expect(await codeOf(run(sql`delete from users where id = ${agent.id}`))).toBe('23503');
    expect(await codeOf(run(sql`delete from leads where id = ${lead}`))).toBe('no error');
    const left = await run(sql`select count(*)::int as n from assignments where lead_id = ${lead}`);
    expect((left as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(0);
  });
});
