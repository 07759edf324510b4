import { acknowledged, call, random, type Answer } from './http.js';

export interface TaskState {
  marker: string;
  status: 'pending' | 'completed';
  description: string;
  exists: boolean;
}

/** A client's last write, whose answer never came: applied whole or not at all, but which is unknown. */
export type Unanswered =
  | { kind: 'create'; marker: string }
  | { kind: 'update'; id: string; description: string }
  | { kind: 'delete'; id: string }
  | { kind: 'bulk-complete' | 'bulk-delete'; ids: string[] }
  | { kind: 'import'; marker: string; rows: number };

export interface AcceptedImport {
  marker: string;
  id: string;
  rows: number;
  /** The client saw it completed before the crash. */
  completed: boolean;
}

/** Everything one client sent and what the server acknowledged, in order. */
export interface ClientHistory {
  name: string;
  token: string;
  requests: number;
  acknowledged: number;
  /** Tasks by id, as the acknowledged writes left them. */
  tasks: Map<string, TaskState>;
  /** Every marker this client sent in a create, acknowledged or not. */
  markers: Set<string>;
  unanswered: Unanswered | null;
  imports: AcceptedImport[];
  /** Answers that were neither a success nor a lost connection (a 4xx or 5xx while the server was up). */
  anomalies: string[];
  /** Unanswered creates sent again after the restart and acknowledged then. */
  retried?: number;
}

export interface ClientSpec {
  name: string;
  token: string;
  /** Admins also import a lead list once. */
  imports: boolean;
}

/**
 * After the restart, what a careful client does with a create that got no answer: send it again
 * with the same Idempotency-Key. Created now or answered from the first attempt (201), the task then
 * counts as acknowledged. A 409 ("still being answered") leaves it unanswered: the key was reserved
 * before the crash and the plugin cannot tell whether the create committed, so it refuses for five
 * minutes (the crash left the reservation without its answer). Anything else is recorded as wrong.
 */
export async function retryUnansweredCreate(
  base: string,
  h: ClientHistory,
): Promise<{ refused: string | null; pending: string | null }> {
  const w = h.unanswered;
  if (w?.kind !== 'create') return { refused: null, pending: null };
  const answer = await call(base, 'POST', '/api/v1/tasks', {
    token: h.token,
    json: { title: w.marker, description: 'd0' },
    headers: { 'idempotency-key': w.marker },
  });
  if (answer.status === 409) return { refused: null, pending: `${h.name} ${w.marker}` };
  if (answer.status !== 201 || 'error' in answer)
    return { refused: `${h.name} retry of ${w.marker} → ${answer.status}`, pending: null };
  h.tasks.set((answer.body as { id: string }).id, {
    marker: w.marker,
    status: 'pending',
    description: 'd0',
    exists: true,
  });
  h.unanswered = null;
  h.retried = (h.retried ?? 0) + 1;
  return { refused: null, pending: null };
}

export interface LoadOptions {
  base: string;
  tag: string;
  seed: number;
  maxRequests: number;
  /** First phone number offset for this run's imports (numbers must not repeat across runs). */
  phoneBase: number;
}

const IMPORT_ROWS = 5;

/** A small CSV of valid New York numbers, each lead named after the import's marker. */
export function leadCsv(marker: string, rows: number, from: number): string {
  const lines = ['FirstName,Phone,Notes'];
  for (let i = 0; i < rows; i++)
    lines.push(`${marker}-${i},+1212${String(2_000_000 + from + i).padStart(7, '0')},crash`);
  return lines.join('\r\n') + '\r\n';
}

/**
 * One client: one request at a time, each write recorded with its answer, until the first write
 * that gets no acknowledgement (the server was killed) or the request budget is spent. Each client
 * only touches its own tasks, so its history alone says what each of them must look like.
 */
export async function runClient(spec: ClientSpec, options: LoadOptions): Promise<ClientHistory> {
  const rng = random(options.seed);
  const h: ClientHistory = {
    name: spec.name,
    token: spec.token,
    requests: 0,
    acknowledged: 0,
    tasks: new Map(),
    markers: new Set(),
    unanswered: null,
    imports: [],
    anomalies: [],
  };
  const importAt = spec.imports ? rng.int(3) : -1;
  const send = async (
    method: string,
    path: string,
    body?: { json?: unknown; form?: FormData; headers?: Record<string, string> },
  ) => {
    h.requests++;
    return call(options.base, method, path, { token: spec.token, ...body });
  };
  /** Records the answer; false when the client must stop (no acknowledgement). */
  const settle = (answer: Answer, what: Unanswered, expected: number[]): boolean => {
    if (acknowledged(answer) && expected.includes(answer.status)) {
      h.acknowledged++;
      return true;
    }
    if ('error' in answer) h.unanswered = what;
    else h.anomalies.push(`${what.kind} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
    return false;
  };
  const live = () => [...h.tasks].filter(([, t]) => t.exists).map(([id]) => id);

  for (let seq = 0; h.requests < options.maxRequests; seq++) {
    const ids = live();
    const roll = rng.next();
    if (seq === importAt) {
      const marker = `${options.tag}-${spec.name}-import`;
      const form = new FormData();
      const csv = leadCsv(marker, IMPORT_ROWS, options.phoneBase);
      form.append('file', new Blob([csv], { type: 'text/csv' }), `${marker}.csv`);
      const what: Unanswered = { kind: 'import', marker, rows: IMPORT_ROWS };
      const answer = await send('POST', '/api/v1/lead-imports', { form });
      if (!settle(answer, what, [202])) break;
      const accepted: AcceptedImport = {
        marker,
        id: (answer as { body: { id: string } }).body.id,
        rows: IMPORT_ROWS,
        completed: false,
      };
      h.imports.push(accepted);
      // Accepted is not done: the rows are written after the answer. Watch it finish (reads only).
      for (let i = 0; i < 100 && !accepted.completed; i++) {
        const progress = await send('GET', `/api/v1/lead-imports/${accepted.id}`);
        if (progress.status === 0) break;
        accepted.completed = (progress as { body?: { status?: string } }).body?.status === 'completed';
        if (!accepted.completed) await new Promise((r) => setTimeout(r, 20));
      }
      if (!accepted.completed) break;
    } else if (ids.length < 2 || roll < 0.4) {
      const marker = `${options.tag}-${spec.name}-${seq}`;
      h.markers.add(marker);
      // The marker is also the Idempotency-Key: a create that got no answer is retried after the restart.
      const answer = await send('POST', '/api/v1/tasks', {
        json: { title: marker, description: 'd0' },
        headers: { 'idempotency-key': marker },
      });
      if (!settle(answer, { kind: 'create', marker }, [201])) break;
      const id = (answer as { body: { id: string } }).body.id;
      h.tasks.set(id, { marker, status: 'pending', description: 'd0', exists: true });
    } else if (roll < 0.6) {
      const id = rng.pick(ids);
      const description = `d${seq}`;
      const answer = await send('PATCH', `/api/v1/tasks/${id}`, { json: { description } });
      if (!settle(answer, { kind: 'update', id, description }, [200])) break;
      h.tasks.get(id)!.description = description;
    } else if (roll < 0.75) {
      const pending = ids.filter((id) => h.tasks.get(id)!.status === 'pending');
      const chosen = pending.slice(0, 1 + rng.int(3));
      if (!chosen.length) continue;
      const answer = await send('POST', '/api/v1/tasks/bulk', { json: { ids: chosen, action: 'complete' } });
      if (!settle(answer, { kind: 'bulk-complete', ids: chosen }, [200])) break;
      const count = (answer as { body: { count: number } }).body.count;
      if (count !== chosen.length) h.anomalies.push(`bulk complete of ${chosen.length} counted ${count}`);
      for (const id of chosen) h.tasks.get(id)!.status = 'completed';
    } else if (roll < 0.87) {
      const chosen = ids.slice(-(1 + rng.int(3)));
      const answer = await send('POST', '/api/v1/tasks/bulk', { json: { ids: chosen, action: 'delete' } });
      if (!settle(answer, { kind: 'bulk-delete', ids: chosen }, [200])) break;
      for (const id of chosen) h.tasks.get(id)!.exists = false;
    } else {
      const id = rng.pick(ids);
      const answer = await send('DELETE', `/api/v1/tasks/${id}`);
      if (!settle(answer, { kind: 'delete', id }, [204])) break;
      h.tasks.get(id)!.exists = false;
    }
  }
  return h;
}
