import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeFlagsOf } from './processes.js';

const scripts = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

describe('the flags the release runs with', () => {
  it('reads Node flags up to the first argument that is not one', () => {
    expect(nodeFlagsOf('node --max-old-space-size=256 apps/api/dist/server.js')).toEqual(['--max-old-space-size=256']);
    expect(nodeFlagsOf('node apps/api/dist/server.js')).toEqual([]);
    expect(() => nodeFlagsOf('tsx server.ts')).toThrow(/not a node command/);
  });

  it('caps the V8 heap at 256 MiB in npm start and npm run start:prod alike (the embedded memory budget)', () => {
    // Without the cap V8 lets garbage pile up to several times the live heap: an import peaked at
    // 417 MiB for the whole embedded tree, with the cap 276 MiB (docs/embedded-database.md).
    expect(nodeFlagsOf(scripts['start:prod']!)).toContain('--max-old-space-size=256');
    expect(nodeFlagsOf(scripts.start!)).toContain('--max-old-space-size=256');
  });
});
