/**
 * The arithmetic of `npm run bench`, kept apart from the processes it drives so that it can be
 * tested: one load run's figures from autocannon's result, the median of interleaved rounds, the
 * ratios between targets, and each budget's verdict.
 */

/** What one autocannon run measured against one target. */
export interface RunFigures {
  reqPerSec: number;
  /** Latency of the 2xx answers, in ms (autocannon records no latency for the others). */
  p50: number;
  p99: number;
  /** Answers that were not 2xx. */
  non2xx: number;
  /** Requests that got no answer: socket errors and timeouts (autocannon counts a timeout as an error too). */
  errors: number;
  /** Of those errors, how many were timeouts; already inside `errors`, never added to it. */
  timeouts: number;
}

/** The fields of autocannon's result that the bench reads. */
export interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  /** 2xx answers; autocannon records latency for these only. */
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export function fromAutocannon(result: AutocannonResult): RunFigures {
  // Without a single 2xx answer autocannon reports a latency of 0, which would pass any latency budget.
  const answered = result['2xx'] > 0;
  return {
    reqPerSec: result.requests.average,
    p50: answered ? result.latency.p50 : Number.NaN,
    p99: answered ? result.latency.p99 : Number.NaN,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** Requests that failed in a run: non-2xx answers plus errors (timeouts are among the errors). */
export const failures = (run: Pick<RunFigures, 'non2xx' | 'errors'>) => run.non2xx + run.errors;

/** The middle value (the mean of the two middle ones for an even count); NaN for none or when one is NaN (a round without a figure). */
export function median(values: readonly number[]): number {
  if (values.length === 0 || values.some(Number.isNaN)) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One target's figures over the rounds of a scenario. */
export interface Summary {
  rounds: number;
  /** Medians over the rounds, each figure on its own. */
  reqPerSec: number;
  p50: number;
  p99: number;
  /** Summed over every round: one failed request in any round is one too many. */
  non2xx: number;
  errors: number;
  timeouts: number;
}

export function summarise(runs: readonly RunFigures[]): Summary {
  if (runs.length === 0) throw new Error('no runs to summarise');
  const sum = (pick: (r: RunFigures) => number) => runs.reduce((total, r) => total + pick(r), 0);
  return {
    rounds: runs.length,
    reqPerSec: median(runs.map((r) => r.reqPerSec)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
  };
}

/** a / b, or null when either is missing or b is not a positive number. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return a / b;
}

/** A budget: a measured value that must be at least or at most a limit. */
export interface Budget {
  name: string;
  /** 'min': value ≥ limit (throughput ratios); 'max': value ≤ limit (latency, memory, time, shares). */
  kind: 'min' | 'max';
  limit: number;
  unit: Unit;
  /** null: not measured in this run (the scenario did not run or failed). */
  value: number | null;
  /** Why the figure may not stand for the budget's conditions (a --quick run, a reduced data set). */
  caveat?: string;
}

export type Unit = '×' | 'ms' | 's' | 'MiB' | '%' | 'requests';

export interface Verdict {
  met: boolean | null;
  /** One plain line: "met", "MISSED by …" or "not measured", with the figures. */
  text: string;
}

export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case '×':
      return `${value.toFixed(2)}×`;
    case 'ms':
      return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
    case 's':
      return `${value.toFixed(2)} s`;
    case 'MiB':
      return `${Math.round(value)} MiB`;
    case '%':
      return `${value.toFixed(1)} %`;
    case 'requests':
      return `${Math.round(value)}`;
  }
}

export function verdict(budget: Budget): Verdict {
  const { kind, limit, unit, value } = budget;
  const bound = `${kind === 'min' ? '≥' : '≤'} ${formatValue(limit, unit)}`;
  if (value === null || !Number.isFinite(value)) return { met: null, text: `not measured (budget ${bound})` };
  const met = kind === 'min' ? value >= limit : value <= limit;
  const shown = `${formatValue(value, unit)} (budget ${bound})`;
  const caveat = budget.caveat ? `; ${budget.caveat}` : '';
  if (met) return { met, text: `met: ${shown}${caveat}` };
  // How far off, in the budget's own terms: a shortfall for a minimum, an excess for a maximum.
  const by =
    limit === 0
      ? formatValue(value, unit)
      : `${Math.round((Math.abs(value - limit) / Math.abs(limit)) * 100)} %` +
        ` (${formatValue(Math.abs(value - limit), unit)} ${kind === 'min' ? 'short' : 'over'})`;
  return { met, text: `MISSED by ${by}: ${shown}${caveat}` };
}

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url?: string; lineNumber?: number; columnNumber?: number };
  children?: number[];
}

/** A V8 CPU profile (`node --cpu-prof`), the fields read here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas?: number[];
}

const NOT_WORK = new Set(['(idle)', '(program)', '(garbage collector)']);

/**
 * The share (in %) of a CPU profile's busy samples that have a frame `counts` picks on their stack:
 * that code's inclusive time over all the work the process did. Idle, GC and "(program)" samples
 * are left out of the total, so the share is of the work done, not of the wall clock.
 */
export function profileShare(
  profile: CpuProfile,
  counts: (node: ProfileNode) => boolean,
): { share: number; samples: number } {
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inside = new Map<number, boolean>();
  const isInside = (id: number): boolean => {
    const known = inside.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const up = parent.get(id);
    const result = !!node && (counts(node) || (up !== undefined && isInside(up)));
    inside.set(id, result);
    return result;
  };
  let busy = 0;
  let hits = 0;
  for (const id of profile.samples) {
    const node = byId.get(id);
    if (!node || NOT_WORK.has(node.callFrame.functionName)) continue;
    busy++;
    if (isInside(id)) hits++;
  }
  return { share: busy === 0 ? Number.NaN : (hits / busy) * 100, samples: busy };
}

/** One line of the results table. */
export interface Row {
  scenario: string;
  target: string;
  summary: Summary;
  /** Against the floor server and the seed-stack peer (or, on the embedded engine, PostgreSQL mode). */
  vsFloor: number | null;
  vsPeer: number | null;
  rssMiB: number | null;
}

const pad = (s: string, n: number, right = false) => (right ? s.padStart(n) : s.padEnd(n));
const fixed = (n: number | null, digits: number) => (n === null || !Number.isFinite(n) ? '–' : n.toFixed(digits));

export const TABLE_HEADER = ['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', '×floor', '×peer', 'failed', 'RSS MiB'];

export function rowCells(row: Row): string[] {
  const s = row.summary;
  return [
    row.scenario,
    row.target,
    fixed(s.reqPerSec, 0),
    fixed(s.p50, 1),
    fixed(s.p99, 1),
    fixed(row.vsFloor, 2),
    fixed(row.vsPeer, 2),
    String(failures(s)) + (s.timeouts ? ` (${s.timeouts} timeouts)` : ''),
    fixed(row.rssMiB, 0),
  ];
}

/** The table as aligned text for the terminal. */
export function textTable(rows: readonly Row[]): string {
  const cells = [TABLE_HEADER, ...rows.map(rowCells)];
  const widths = TABLE_HEADER.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => c.map((cell, i) => pad(cell, widths[i]!, i >= 2)).join('  ')).join('\n');
}

/** The table as Markdown. */
export function markdownTable(rows: readonly Row[]): string {
  const line = (c: string[]) => `| ${c.join(' | ')} |`;
  return [
    line(TABLE_HEADER),
    line(TABLE_HEADER.map((_, i) => (i >= 2 ? '---:' : '---'))),
    ...rows.map((r) => line(rowCells(r))),
  ].join('\n');
}
