/**
 * npm run bench:partitions [-- --quick] — the measurement behind issue 12's partitioning decision, on
 * a throwaway PostgreSQL (Debian's server, 15 here) on loopback:
 * - the append-only history (assignments, the activity log) whole vs partitioned by month: the
 *   statements Crewdesk runs on it (EXPLAIN ANALYZE, planning + execution, median of 5), and the cost
 *   of retention (DELETE of the oldest month vs DETACH + DROP of its partition);
 * - leads whole (unique phone index) vs partitioned by month, where PostgreSQL cannot have a unique
 *   phone index across partitions and a `lead_phones (phone primary key)` table enforces it instead:
 *   the import's insert of 100,000 leads, and the lookups by id and by agent the app runs.
 * Rows span 24 months ending now. Prints figures, fails nothing; not run in CI.
 * BENCH_ASSIGNMENTS (default 2,000,000; --quick 100,000) sets the history size.
 */
import pg from 'pg';
import { PostgresServer } from '../apps/api/test-services/postgres-server.js';
import { freePort } from '../apps/api/test-services/redis-server.js';

const QUICK = process.argv.includes('--quick');
const HISTORY = Number(process.env.BENCH_ASSIGNMENTS ?? (QUICK ? 100_000 : 2_000_000));
const LEADS = Math.round(HISTORY / 2);
const IMPORT = QUICK ? 10_000 : 100_000;
const MONTHS = 24;
const RUNS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Planning + execution time (ms) of `statement` as EXPLAIN ANALYZE reports it, inside a rolled-back transaction. */
async function explainMs(client: pg.Client, statement: string, params: unknown[] = []): Promise<number> {
  await client.query('begin');
  try {
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(
      `explain (analyze, format text) ${statement}`,
      params,
    );
    const text = rows.map((r) => r['QUERY PLAN']).join('\n');
    const planning = Number(/Planning Time: ([\d.]+)/.exec(text)?.[1] ?? 0);
    const execution = Number(/Execution Time: ([\d.]+)/.exec(text)?.[1] ?? 0);
    return planning + execution;
  } finally {
    await client.query('rollback');
  }
}

/** Wall time (ms) of `statements` run in one transaction, then rolled back (so every run sees the same data). */
async function wallMs(client: pg.Client, statements: string[]): Promise<number> {
  await client.query('begin');
  const start = performance.now();
  try {
    for (const s of statements) await client.query(s);
    return performance.now() - start;
  } finally {
    await client.query('rollback');
  }
}

async function medianOf(run: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) xs.push(await run());
  return median(xs);
}

/** Monthly range partitions of `table` on `column` covering the last 24 months and the next 3, and a default one. */
function monthlyPartitions(table: string): string {
  return `
    do $$
    declare m date := date_trunc('month', now() - interval '${MONTHS} months')::date;
    begin
      while m < date_trunc('month', now() + interval '3 months') loop
        execute format('create table %s partition of ${table} for values from (%L) to (%L)',
          '${table}_' || to_char(m, 'YYYYMM'), m, (m + interval '1 month')::date);
        m := (m + interval '1 month')::date;
      end loop;
      execute 'create table ${table}_default partition of ${table} default';
    end $$`;
}

const row = (label: string, whole: number, part: number) =>
  console.log(`${label.padEnd(72)} ${whole.toFixed(2).padStart(10)} ${part.toFixed(2).padStart(12)}`);

async function history(client: pg.Client) {
  const spread = `now() - (random() * interval '${MONTHS} months')`;
  const lead = (i: string) => `md5('lead' || (${i} % ${LEADS}))::uuid`;
  const agent = (i: string) => `md5('agent' || (${i} % 20))::uuid`;
  const t0 = performance.now();
  await client.query(`
    create schema whole; create schema part;
    create table whole.assignments (id uuid primary key, lead_id uuid not null, agent_id uuid not null,
      assigned_at timestamptz not null default now(), assigned_by uuid, reason text not null);
    create table part.assignments (id uuid not null, lead_id uuid not null, agent_id uuid not null,
      assigned_at timestamptz not null default now(), assigned_by uuid, reason text not null,
      primary key (id, assigned_at)) partition by range (assigned_at);
    create table whole.activity (event_id uuid primary key, topic text not null, actor_id uuid,
      payload jsonb not null, occurred_at timestamptz not null, recorded_at timestamptz not null default now());
    create table part.activity (event_id uuid not null, topic text not null, actor_id uuid,
      payload jsonb not null, occurred_at timestamptz not null, recorded_at timestamptz not null default now(),
      primary key (event_id, occurred_at)) partition by range (occurred_at);`);
  await client.query(monthlyPartitions('part.assignments'));
  await client.query(monthlyPartitions('part.activity'));
  await client.query(`
    insert into whole.assignments select gen_random_uuid(), ${lead('i')}, ${agent('i')}, ${spread}, ${agent('i + 1')}, 'import'
      from generate_series(1, ${HISTORY}) i;
    insert into whole.activity select gen_random_uuid(), 'lead.assigned', ${agent('i')},
      jsonb_build_object('leadId', ${lead('i')}, 'agentId', ${agent('i')}), t, t
      from (select i, ${spread} as t from generate_series(1, ${HISTORY}) i) s;`);
  const loadWhole = performance.now() - t0;
  const t1 = performance.now();
  await client.query(`
    insert into part.assignments select * from whole.assignments;
    insert into part.activity select * from whole.activity;`);
  const loadPart = performance.now() - t1;
  for (const s of ['whole', 'part']) {
    await client.query(`
      create index on ${s}.assignments (lead_id); create index on ${s}.assignments (agent_id);
      create index on ${s}.activity (occurred_at);`);
    await client.query(`vacuum analyze ${s}.assignments`);
    await client.query(`vacuum analyze ${s}.activity`);
  }
  console.log(
    `\n${HISTORY.toLocaleString('en')} assignments and as many activity rows over ${MONTHS} months ` +
      `(load: ${(loadWhole / 1000).toFixed(1)} s into whole tables with generate_series, ` +
      `${(loadPart / 1000).toFixed(1)} s routed into monthly partitions)`,
  );
  console.log(
    `${'ms (median of 5, planning + execution)'.padEnd(72)} ${'whole'.padStart(10)} ${'partitioned'.padStart(12)}`,
  );

  const { rows: sample } = await client.query<{ lead_id: string; agent_id: string }>(
    `select lead_id, agent_id from whole.assignments tablesample system (1) limit 100`,
  );
  const leadIds = sample.map((r) => r.lead_id);
  const agentId = sample[0]!.agent_id;
  const q = async (label: string, statement: (s: string) => string, params: unknown[] = []) =>
    row(
      label,
      await medianOf(() => explainMs(client, statement('whole'), params)),
      await medianOf(() => explainMs(client, statement('part'), params)),
    );

  // What Crewdesk runs today.
  await q(
    'import: insert 1,000 assignments (now())',
    (s) => `insert into ${s}.assignments (id, lead_id, agent_id, assigned_by, reason)
      select gen_random_uuid(), gen_random_uuid(), $1::uuid, $1::uuid, 'import' from generate_series(1, 1000)`,
    [agentId],
  );
  await q(
    'reassign: insert 100 assignments from arrays (unnest)',
    (s) => `insert into ${s}.assignments (id, lead_id, agent_id, assigned_by, reason)
      select gen_random_uuid(), u, $2::uuid, $2::uuid, 'reassign' from unnest($1::uuid[]) u`,
    [leadIds, agentId],
  );
  await q(
    'lead deletion: delete the history of 100 leads (lead_id)',
    (s) => `delete from ${s}.assignments where lead_id = any($1::uuid[])`,
    [leadIds],
  );
  await q(
    'user deletion check: exists assignment of an agent',
    (s) => `select exists (select 1 from ${s}.assignments where agent_id = $1::uuid)`,
    [agentId],
  );
  await q(
    'activity consumer: insert one event on conflict do nothing',
    (s) => `insert into ${s}.activity (event_id, topic, actor_id, payload, occurred_at)
      values (gen_random_uuid(), 'lead.assigned', $1::uuid, '{}', now()) on conflict do nothing`,
    [agentId],
  );
  // What a history screen would run (none exists yet): one lead's assignments, the last 30 days of an agent.
  await q(
    'a lead’s assignment history, newest first',
    (s) => `select * from ${s}.assignments where lead_id = $1::uuid order by assigned_at desc`,
    [leadIds[0]],
  );
  await q(
    'an agent’s assignments in the last 30 days (count)',
    (s) =>
      `select count(*) from ${s}.assignments where agent_id = $1::uuid and assigned_at >= now() - interval '30 days'`,
    [agentId],
  );
  await q(
    'activity of the last 7 days (count)',
    (s) => `select count(*) from ${s}.activity where occurred_at >= now() - interval '7 days'`,
  );

  // Retention: the oldest full month, by row or by partition. The partitions are named by month.
  const { rows: oldest } = await client.query<{ name: string; lo: string; hi: string }>(`
    select to_char(m, 'YYYYMM') as name, m::text as lo, (m + interval '1 month')::date::text as hi
    from (select date_trunc('month', now() - interval '${MONTHS - 1} months')::date as m) x`);
  const { name, lo, hi } = oldest[0]!;
  for (const table of ['assignments', 'activity']) {
    const column = table === 'assignments' ? 'assigned_at' : 'occurred_at';
    const { rows: n } = await client.query<{ n: number }>(
      `select count(*)::int as n from whole.${table} where ${column} >= '${lo}' and ${column} < '${hi}'`,
    );
    const del = await medianOf(() =>
      wallMs(client, [`delete from whole.${table} where ${column} >= '${lo}' and ${column} < '${hi}'`]),
    );
    const drop = await medianOf(() =>
      wallMs(client, [
        `alter table part.${table} detach partition part.${table}_${name}`,
        `drop table part.${table}_${name}`,
      ]),
    );
    row(`retention: ${table}, oldest month (${n[0]!.n.toLocaleString('en')} rows) DELETE vs DETACH+DROP`, del, drop);
  }
}

async function leadsAlternative(client: pg.Client) {
  const spread = `now() - (random() * interval '${MONTHS} months')`;
  const columns = `first_name text not null, phone text not null, notes text not null default '', status text not null default 'new',
    agent_id uuid, assigned_at timestamptz not null default now(), created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()`;
  await client.query(`
    create table whole.leads (id uuid primary key, import_id uuid, ${columns});
    create unique index on whole.leads (phone);
    create table part.leads (id uuid not null, import_id uuid, ${columns}, primary key (id, created_at)) partition by range (created_at);
    create table part.lead_phones (phone text primary key, lead_id uuid not null);`);
  await client.query(monthlyPartitions('part.leads'));
  await client.query(`
    insert into whole.leads (id, first_name, phone, agent_id, created_at, assigned_at)
      select md5('lead' || i)::uuid, 'Lead ' || i, '+1415' || lpad(i::text, 7, '0'), md5('agent' || (i % 20))::uuid, t, t
      from (select i, ${spread} as t from generate_series(1, ${LEADS}) i) s;
    insert into part.leads select * from whole.leads;
    insert into part.lead_phones select phone, id from whole.leads;`);
  for (const s of ['whole', 'part']) {
    await client.query(`create index on ${s}.leads (agent_id, status); create index on ${s}.leads (import_id)`);
    await client.query(`vacuum analyze ${s}.leads`);
  }
  await client.query('vacuum analyze part.lead_phones');
  console.log(
    `\n${LEADS.toLocaleString('en')} leads over ${MONTHS} months: whole (unique phone index) vs partitioned by month + lead_phones`,
  );
  console.log(`${'ms (median of 5)'.padEnd(72)} ${'whole'.padStart(10)} ${'partitioned'.padStart(12)}`);
  const fresh = `select gen_random_uuid() as id, 'New ' || i as first_name, '+1650' || lpad(i::text, 7, '0') as phone,
    md5('agent' || (i % 20))::uuid as agent_id from generate_series(1, ${IMPORT}) i`;
  // The import: its rows, the duplicate check against existing phones, then the insert.
  row(
    `import of ${IMPORT.toLocaleString('en')} leads: existing-phone lookup + insert`,
    await medianOf(() =>
      wallMs(client, [
        `create temp table incoming on commit drop as ${fresh}`,
        `select count(*) from whole.leads l join incoming i on i.phone = l.phone`,
        `insert into whole.leads (id, first_name, phone, agent_id) select id, first_name, phone, agent_id from incoming`,
      ]),
    ),
    await medianOf(() =>
      wallMs(client, [
        `create temp table incoming on commit drop as ${fresh}`,
        `select count(*) from part.lead_phones l join incoming i on i.phone = l.phone`,
        `insert into part.lead_phones (phone, lead_id) select phone, id from incoming`,
        `insert into part.leads (id, first_name, phone, agent_id) select id, first_name, phone, agent_id from incoming`,
      ]),
    ),
  );
  const { rows: sample } = await client.query<{ id: string; agent_id: string }>(
    `select id, agent_id from whole.leads tablesample system (1) limit 100`,
  );
  const q = async (label: string, statement: (s: string) => string, params: unknown[] = []) =>
    row(
      label,
      await medianOf(() => explainMs(client, statement('whole'), params)),
      await medianOf(() => explainMs(client, statement('part'), params)),
    );
  await q('lead page: one lead by id', (s) => `select * from ${s}.leads where id = $1::uuid`, [sample[0]!.id]);
  await q(
    'bulk reassign: lock 100 leads by id',
    (s) => `select id, agent_id from ${s}.leads where id = any($1::uuid[]) order by id for update`,
    [sample.map((r) => r.id)],
  );
  await q(
    'agent’s list: open leads, newest assignment first, 50',
    (s) => `select * from ${s}.leads where agent_id = $1::uuid and status in ('new', 'contacted', 'qualified')
      order by assigned_at desc, id desc limit 50`,
    [sample[0]!.agent_id],
  );
  await q('stats: count by agent and status', (s) => `select agent_id, status, count(*) from ${s}.leads group by 1, 2`);
}

const server = new PostgresServer(await freePort());
await server.start();
const client = new pg.Client({ connectionString: server.url });
try {
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('show server_version');
  console.log(`PostgreSQL ${rows[0]!.server_version}${QUICK ? ' (quick: a smoke run, not figures)' : ''}`);
  await history(client);
  await leadsAlternative(client);
} finally {
  await client.end().catch(() => {});
  await server.destroy();
}
