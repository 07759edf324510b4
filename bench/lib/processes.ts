import { readFileSync, readdirSync } from 'node:fs';

/** A process and every process below it (a child database server, a worker), from /proc. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${out[i]}/task`)) {
        const children = readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim();
        if (children) out.push(...children.split(' ').map(Number));
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** One field of /proc/PID/<file> in kB, or 0 when the process is gone. */
function procKb(pid: number, file: 'status' | 'smaps_rollup', field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident set size of one process, MiB. */
export const rssMiB = (pid: number) => procKb(pid, 'status', 'VmRSS') / 1024;

/**
 * A process and its descendants summed as proportional set size (memory shared between them counts
 * once, split among them), MiB: how the embedded engine's budget counts a child database.
 */
export const treePssMiB = (pid: number) =>
  processTree(pid).reduce((total, p) => total + procKb(p, 'smaps_rollup', 'Pss'), 0) / 1024;

/** Samples `measure` every intervalMs until stopped; resolves with the peak. */
export function peakSampler(measure: () => number, intervalMs = 200) {
  let peak = measure();
  const timer = setInterval(() => (peak = Math.max(peak, measure())), intervalMs);
  return {
    stop(): number {
      clearInterval(timer);
      return Math.max(peak, measure());
    },
  };
}

/**
 * Node's own flags in an npm script (`node --max-old-space-size=256 … file`): what a release runs
 * with. They end at the first word that is not a flag, so a flag's value is read only when joined
 * to it (`--flag=value`).
 */
export function nodeFlagsOf(script: string): string[] {
  const words = script.trim().split(/\s+/);
  if (words[0] !== 'node') throw new Error(`not a node command: ${script}`);
  const flags: string[] = [];
  for (const word of words.slice(1)) {
    if (!word.startsWith('--')) break;
    flags.push(word);
  }
  return flags;
}
