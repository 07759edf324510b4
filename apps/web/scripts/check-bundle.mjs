// Fails when the JavaScript a first visit downloads exceeds the budget, and prints the sizes.
// "Initial" is the entry chunk plus everything it imports statically (what index.html preloads);
// each route's own chunks are printed too, since they load right after.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const BUDGET_KB = Number(process.env.BUNDLE_BUDGET_KB ?? 150);
const dist = new URL('../dist/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length / 1024;

function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of manifest[key].imports ?? []) closure(dep, seen);
  return seen;
}
const size = (keys) =>
  [...keys].filter((k) => manifest[k].file.endsWith('.js')).reduce((n, k) => n + gz(manifest[k].file), 0);

const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);
const initial = closure(entry);
const initialKb = size(initial);
console.log(`initial JS (gzip): ${initialKb.toFixed(1)} KB of ${BUDGET_KB} KB`);
for (const k of initial) console.log(`  ${manifest[k].file.padEnd(44)} ${gz(manifest[k].file).toFixed(1)} KB`);
console.log('routes and lazy chunks (gzip, beyond the initial JS):');
for (const k of manifest[entry].dynamicImports ?? []) {
  const extra = [...closure(k)].filter((x) => !initial.has(x));
  console.log(`  ${(manifest[k].name ?? k).padEnd(44)} +${size(extra).toFixed(1)} KB`);
}
if (initialKb > BUDGET_KB) {
  console.error(`initial JS is over budget by ${(initialKb - BUDGET_KB).toFixed(1)} KB`);
  process.exit(1);
}
