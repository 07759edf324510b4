import { call } from './http.js';
import type { ClientHistory, TaskState, Unanswered } from './history.js';

interface TaskRow {
  id: string;
  title: string;
  status: 'pending' | 'completed';
  description: string;
}

/** What a run's history came to after the restart. */
export interface HistoryCheck {
  acknowledgedWrites: number;
  acknowledgedCreates: number;
  /** Acknowledged creates found exactly once (or gone, by an acknowledged delete). */
  found: number;
  missing: string[];
  duplicates: string[];
  /** Acknowledged changes not reflected. */
  wrong: string[];
  /** An unacknowledged write applied in part (a bulk or an import of which some rows exist). */
  halfApplied: string[];
  /** Each client's last, unanswered write and whether the restarted server has it. */
  unanswered: string[];
  /** Imports answered 202 (accepted), and what became of them. */
  imports: string[];
}

/** Every page of a list endpoint. */
async function all<T>(base: string, token: string, path: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const answer = await call(
      base,
      'GET',
      `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      {
        token,
      },
    );
    if (answer.status !== 200) throw new Error(`GET ${path} → ${answer.status} ${JSON.stringify(answer)}`);
    const page = (answer as { body: { items: T[]; nextCursor: string | null } }).body;
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

const same = (row: TaskRow | undefined, state: TaskState) =>
  state.exists ? !!row && row.status === state.status && row.description === state.description : !row;

/** The state a task is in if the unanswered write was applied. */
function applied(state: TaskState, id: string, write: Unanswered | null): TaskState | null {
  if (!write) return null;
  switch (write.kind) {
    case 'update':
      return write.id === id ? { ...state, description: write.description } : null;
    case 'delete':
      return write.id === id ? { ...state, exists: false } : null;
    case 'bulk-complete':
      return write.ids.includes(id) ? { ...state, status: 'completed' } : null;
    case 'bulk-delete':
      return write.ids.includes(id) ? { ...state, exists: false } : null;
    default:
      return null;
  }
}

/**
 * Reads everything back through the restarted server with the tokens issued before the crash, and
 * holds it against each client's history: every acknowledged create exactly once, every
 * acknowledged change in place, and each unanswered write either whole or absent.
 */
export async function checkHistories(
  base: string,
  histories: ClientHistory[],
  admin: ClientHistory,
): Promise<HistoryCheck> {
  const result: HistoryCheck = {
    acknowledgedWrites: 0,
    acknowledgedCreates: 0,
    found: 0,
    missing: [],
    duplicates: [],
    wrong: [],
    halfApplied: [],
    unanswered: [],
    imports: [],
  };
  for (const h of histories) {
    const rows = await all<TaskRow>(base, h.token, '/api/v1/tasks');
    const byId = new Map(rows.map((r) => [r.id, r]));
    const byTitle = new Map<string, number>();
    for (const r of rows) byTitle.set(r.title, (byTitle.get(r.title) ?? 0) + 1);
    result.acknowledgedWrites += h.acknowledged;
    for (const marker of h.markers)
      if ((byTitle.get(marker) ?? 0) > 1) result.duplicates.push(`${marker} ×${byTitle.get(marker)}`);

    for (const [id, state] of h.tasks) {
      result.acknowledgedCreates++;
      const row = byId.get(id);
      const alternative = applied(state, id, h.unanswered);
      if (same(row, state) || (alternative && same(row, alternative))) {
        result.found++;
        continue;
      }
      if (!row && state.exists) result.missing.push(`${state.marker} (${id})`);
      else
        result.wrong.push(`${state.marker}: expected ${JSON.stringify(state)}, found ${JSON.stringify(row ?? null)}`);
    }

    const w = h.unanswered;
    if (!w) continue;
    let outcome: string;
    if (w.kind === 'create') {
      const n = byTitle.get(w.marker) ?? 0;
      outcome = n === 0 ? 'not applied' : 'applied';
    } else if (w.kind === 'import') {
      outcome = 'see imports';
    } else {
      const ids = 'ids' in w ? w.ids : [w.id];
      const flags = ids.map((id) => {
        const state = h.tasks.get(id)!;
        return same(byId.get(id), applied(state, id, w)!);
      });
      outcome = flags.every(Boolean) ? 'applied' : flags.some(Boolean) ? 'HALF' : 'not applied';
      if (outcome === 'HALF') result.halfApplied.push(`${h.name} ${w.kind} of ${ids.length}: ${flags.join(',')}`);
    }
    result.unanswered.push(`${h.name} ${w.kind}: ${outcome}`);
  }
  await checkImports(base, histories, admin, result);
  return result;
}

/** An import is all or nothing: every lead of it with the import row completed, or none and no completed row. */
async function checkImports(base: string, histories: ClientHistory[], admin: ClientHistory, result: HistoryCheck) {
  const wanted = histories.flatMap((h) => [
    ...h.imports.map((i) => ({ ...i, answered: true })),
    ...(h.unanswered?.kind === 'import'
      ? [{ marker: h.unanswered.marker, rows: h.unanswered.rows, id: null, completed: false, answered: false }]
      : []),
  ]);
  if (!wanted.length) return;
  const leads = await all<{ firstName: string; importId: string | null }>(base, admin.token, '/api/v1/leads');
  const imports = await all<{ id: string; filename: string; status: string }>(
    base,
    admin.token,
    '/api/v1/lead-imports',
  );
  for (const i of wanted) {
    const rows = leads.filter((l) => l.firstName.startsWith(`${i.marker}-`));
    const row = imports.find((r) => r.filename === `${i.marker}.csv`);
    const whole = rows.length === i.rows && row?.status === 'completed' && rows.every((l) => l.importId === row.id);
    const none = rows.length === 0 && row?.status !== 'completed';
    const what = i.answered
      ? i.completed
        ? 'accepted and seen completed'
        : 'accepted (202), not yet seen completed'
      : 'unanswered';
    if (!whole && !none)
      result.halfApplied.push(`import ${i.marker}: ${rows.length}/${i.rows} leads, row ${row?.status ?? 'none'}`);
    else if (i.completed && !whole) result.missing.push(`import ${i.marker}: seen completed, gone after the restart`);
    result.imports.push(`${what}: ${whole ? `all ${i.rows} leads, completed` : 'nothing'}`);
  }
}
