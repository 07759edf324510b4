/**
 * The two servers `npm run bench` compares Crewdesk with, each in a process of its own:
 *
 * - floor: node:http + pg, Crewdesk's own SQL as prepared statements (searches excepted, as in
 *   Crewdesk: they are planned per query), no auth, no validation beyond what the SQL needs. The
 *   caller names the user in an `x-user-id` header. Nothing can do the same work with less.
 * - seed: the seed project's stack, Express 5 + jsonwebtoken (HS256, the secret a KeyObject) + the
 *   same SQL sent unprepared.
 *
 * Both answer the same paths with the same JSON shapes as Crewdesk (`{items, nextCursor}` with the
 * same cursors, the task and lead objects field for field), so one autocannon request fits all
 * three. The SQL is the text Crewdesk's repositories send (apps/api/src/modules/tasks/tasks.repository.ts,
 * leads/leads.repository.ts), captured from PostgreSQL with log_statement = all. A created task
 * is one INSERT here; Crewdesk also writes its event to the outbox in the same transaction.
 *
 *   node --import tsx bench/lib/peers.ts floor|seed   (PEER_PORT, PEER_DATABASE_URL, PEER_JWT_SECRET)
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import express from 'express';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';

const TASK_COLUMNS = `"id", "owner_id", "title", "description", "status", "priority", "due_date", "lead_id", "created_at", "updated_at", "completed_at"`;
const CREATED_KEY = `to_char("created_at" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export const SQL = {
  listFirst: `select ${TASK_COLUMNS}, ${CREATED_KEY} from "tasks" where "tasks"."owner_id" = $1 order by "tasks"."created_at" desc, "tasks"."id" desc limit $2`,
  listAfter: `select ${TASK_COLUMNS}, ${CREATED_KEY} from "tasks" where ("tasks"."owner_id" = $1 and ("tasks"."created_at", "tasks"."id") < ($2::timestamptz, $3::uuid)) order by "tasks"."created_at" desc, "tasks"."id" desc limit $4`,
  search: `select ${TASK_COLUMNS}, ts_rank("tasks"."search", websearch_to_tsquery('english', $1)) from (select ${TASK_COLUMNS}, "search" from "tasks" where ("tasks"."owner_id" = $2 and "tasks"."search" @@ websearch_to_tsquery('english', $3)) order by "tasks"."created_at" desc, "tasks"."id" desc limit $4) "tasks" order by ts_rank("tasks"."search", websearch_to_tsquery('english', $5)) desc, "tasks"."id" desc limit $6`,
  insert: `insert into "tasks" ("id", "owner_id", "title", "description", "status", "priority", "due_date", "lead_id", "created_at", "updated_at", "completed_at") values ($1, $2, $3, $4, $5, $6, $7, $8, default, default, $9) returning ${TASK_COLUMNS}`,
  statsTotals: `select count(*)::int, (count(*) filter (where "status" = 'pending'))::int, (count(*) filter (where "status" = 'completed'))::int, (count(*) filter (where "status" = 'pending' and "due_date" < now()))::int, (extract(epoch from avg("completed_at" - "created_at") filter (where "status" = 'completed')))::float8 from "tasks" where "tasks"."owner_id" = $1`,
  statsPerDay: `select to_char("completed_at" at time zone 'UTC', 'YYYY-MM-DD'), count(*)::int from "tasks" where ("tasks"."owner_id" = $1 and "tasks"."status" = $2 and "tasks"."completed_at" >= (date_trunc('day', now() at time zone 'UTC') - interval '29 days') at time zone 'UTC') group by to_char("tasks"."completed_at" at time zone 'UTC', 'YYYY-MM-DD')`,
  leads: `select "leads"."id", "leads"."import_id", "leads"."first_name", "leads"."phone", "leads"."notes", "leads"."status", "leads"."agent_id", "leads"."assigned_at", "leads"."created_at", "leads"."updated_at", "users"."name" from "leads" left join "users" on "users"."id" = "leads"."agent_id" where "leads"."agent_id" = $1 order by "leads"."id" desc limit $2`,
  leadCount: `select count(*) from "leads" where "leads"."agent_id" = $1`,
} as const;

type Values = unknown[];
/** Runs one statement and returns its rows as arrays (several result columns share a name). */
type Run = (name: keyof typeof SQL, values: Values) => Promise<unknown[][]>;

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);
const fold = (text: string) =>
  text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
export const encodeCursor = (value: string | number | null, id: string) =>
  Buffer.from(JSON.stringify([value, id])).toString('base64url');
const decodeCursor = (cursor: string): [string, string] | null => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(parsed) && typeof parsed[0] === 'string' && typeof parsed[1] === 'string'
      ? [parsed[0], parsed[1]]
      : null;
  } catch {
    return null;
  }
};

/** A tasks row (TASK_COLUMNS order) as Crewdesk's Task object, field for field. */
const task = (r: unknown[]) => ({
  id: r[0],
  title: r[2],
  description: r[3],
  status: r[4],
  priority: r[5],
  dueDate: iso(r[6]),
  leadId: r[7],
  ownerId: r[1],
  createdAt: iso(r[8]),
  updatedAt: iso(r[9]),
  completedAt: iso(r[10]),
});

const page = (rows: unknown[][], limit: number, cursorOf: (r: unknown[]) => string) => {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  return { shown, nextCursor: more ? cursorOf(shown[shown.length - 1]!) : null };
};

class BadRequest extends Error {}

/** The work behind each route, the same for both peers; `run` is where they differ. */
function handlers(run: Run) {
  return {
    async listTasks(userId: string, query: URLSearchParams) {
      const limit = Number(query.get('limit') ?? 20);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new BadRequest('limit');
      const q = query.get('q');
      const cursor = query.get('cursor');
      let rows: unknown[][];
      if (q) {
        const folded = fold(q);
        rows = await run('search', [folded, userId, folded, 1000, folded, limit + 1]);
      } else if (cursor) {
        const after = decodeCursor(cursor);
        if (!after) throw new BadRequest('cursor');
        rows = await run('listAfter', [userId, after[0], after[1], limit + 1]);
      } else {
        rows = await run('listFirst', [userId, limit + 1]);
      }
      const { shown, nextCursor } = page(rows, limit, (r) => encodeCursor(r[11] as string | number, r[0] as string));
      return { items: shown.map(task), nextCursor };
    },

    async createTask(userId: string, body: unknown) {
      const b = (body ?? {}) as Record<string, unknown>;
      if (typeof b.title !== 'string' || b.title.length < 1 || b.title.length > 100) throw new BadRequest('title');
      const status = b.status === 'completed' ? 'completed' : 'pending';
      const [row] = await run('insert', [
        uuidv7(),
        userId,
        b.title,
        typeof b.description === 'string' ? b.description : '',
        status,
        b.priority ?? 'medium',
        typeof b.dueDate === 'string' ? b.dueDate : null,
        null,
        status === 'completed' ? new Date() : null,
      ]);
      return task(row!);
    },

    async stats(userId: string) {
      const [[totals], perDay] = await Promise.all([
        run('statsTotals', [userId]),
        run('statsPerDay', [userId, 'completed']),
      ]);
      const t = totals!;
      const counts = new Map(perDay.map((d) => [d[0] as string, d[1] as number]));
      const today = new Date();
      const completedPerDay = Array.from({ length: 30 }, (_, i) => {
        const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - (29 - i)));
        const date = day.toISOString().slice(0, 10);
        return { date, count: counts.get(date) ?? 0 };
      });
      return {
        total: t[0],
        byStatus: { pending: t[1], completed: t[2] },
        overdue: t[3],
        avgCompletionSeconds: t[4] === null ? null : Math.round(t[4] as number),
        completedPerDay,
      };
    },

    async leads(userId: string, query: URLSearchParams) {
      const limit = Number(query.get('limit') ?? 20);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new BadRequest('limit');
      const [rows, [count]] = await Promise.all([run('leads', [userId, limit + 1]), run('leadCount', [userId])]);
      const { shown, nextCursor } = page(rows, limit, (r) => encodeCursor(null, r[0] as string));
      const items = shown.map((r) => ({
        id: r[0],
        firstName: r[2],
        phone: r[3],
        notes: r[4],
        status: r[5],
        agentId: r[6],
        agentName: r[10],
        importId: r[1],
        assignedAt: iso(r[7]),
        createdAt: iso(r[8]),
        updatedAt: iso(r[9]),
      }));
      return { items, nextCursor, total: Number(count![0]) };
    },
  };
}

const pool = (url: string) => new pg.Pool({ connectionString: url, max: 20 });

/** node:http, prepared statements (pg names them and prepares each once per connection), no auth. */
export function floorServer(databaseUrl: string) {
  const db = pool(databaseUrl);
  const run: Run = async (name, values) => {
    // Crewdesk plans a search for its own words rather than generically; so does the floor.
    const prepared = name === 'search' ? {} : { name: `floor_${name}` };
    return (await db.query({ ...prepared, text: SQL[name], values, rowMode: 'array' })).rows as unknown[][];
  };
  const h = handlers(run);
  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
  };
  const server = createServer((req, res) => {
    const [path = '', search = ''] = (req.url ?? '').split('?', 2);
    const query = new URLSearchParams(search);
    const userId = req.headers['x-user-id'];
    const answer = async () => {
      if (path === '/health/ready') return send(res, 200, { status: 'ok' });
      if (typeof userId !== 'string') return send(res, 401, { title: 'Unauthorized' });
      if (path === '/api/v1/tasks' && req.method === 'GET') return send(res, 200, await h.listTasks(userId, query));
      if (path === '/api/v1/tasks' && req.method === 'POST')
        return send(res, 201, await h.createTask(userId, await readBody(req)));
      if (path === '/api/v1/tasks/stats') return send(res, 200, await h.stats(userId));
      if (path === '/api/v1/leads') return send(res, 200, await h.leads(userId, query));
      return send(res, 404, { title: 'Not Found' });
    };
    answer().catch((err: unknown) => send(res, err instanceof BadRequest ? 400 : 500, { title: String(err) }));
  });
  return { server, close: () => db.end() };
}

/** Express 5, jsonwebtoken HS256 with a KeyObject secret, unprepared statements. */
export function seedServer(databaseUrl: string, secret: KeyObject) {
  const db = pool(databaseUrl);
  const run: Run = async (name, values) =>
    (await db.query({ text: SQL[name], values, rowMode: 'array' })).rows as unknown[][];
  const h = handlers(run);
  const app = express();
  app.use(express.json());
  app.get('/health/ready', (_req, res) => void res.json({ status: 'ok' }));
  const auth: express.RequestHandler = (req, res, next) => {
    const header = req.headers.authorization ?? '';
    try {
      const claims = jwt.verify(header.replace(/^Bearer /, ''), secret, { algorithms: ['HS256'] });
      res.locals.userId = (claims as jwt.JwtPayload).sub;
      next();
    } catch {
      res.status(401).json({ title: 'Unauthorized' });
    }
  };
  const query = (req: express.Request) => new URLSearchParams((req.url.split('?', 2)[1] ?? '') as string);
  const user = (res: express.Response) => res.locals.userId as string;
  app.get('/api/v1/tasks', auth, async (req, res) => void res.json(await h.listTasks(user(res), query(req))));
  app.post(
    '/api/v1/tasks',
    auth,
    async (req, res) => void res.status(201).json(await h.createTask(user(res), req.body)),
  );
  app.get('/api/v1/tasks/stats', auth, async (_req, res) => void res.json(await h.stats(user(res))));
  app.get('/api/v1/leads', auth, async (req, res) => void res.json(await h.leads(user(res), query(req))));
  app.use(((err, _req, res, _next) => {
    res.status(err instanceof BadRequest ? 400 : 500).json({ title: String(err) });
  }) as express.ErrorRequestHandler);
  return { server: createServer(app), close: () => db.end() };
}

/** The seed peer's secret from its text form, as the harness and the peer both make it. */
export const seedSecret = (text: string) => createSecretKey(Buffer.from(text, 'utf8'));

/** Signs a seed-stack access token for a user. */
export const seedToken = (secret: KeyObject, userId: string) =>
  jwt.sign({ sub: userId }, secret, { algorithm: 'HS256', expiresIn: '1h' });

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const kind = process.argv[2];
  const url = process.env.PEER_DATABASE_URL!;
  const peer =
    kind === 'floor'
      ? floorServer(url)
      : kind === 'seed'
        ? seedServer(url, seedSecret(process.env.PEER_JWT_SECRET!))
        : null;
  if (!peer) throw new Error(`usage: peers.ts floor|seed (not ${kind})`);
  peer.server.listen(Number(process.env.PEER_PORT), '127.0.0.1');
  process.once('SIGTERM', () => peer.server.close(() => void peer.close().then(() => process.exit(0))));
}
