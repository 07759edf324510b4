// `npm run build` runs this after the web build: the API and @crewdesk/contracts compiled to
// JavaScript in apps/api/dist, so a release runs on plain `node` with production dependencies only.
//
// One ESM bundle per entry point (the server, the CLI, the lead-row worker thread) holds Crewdesk's
// own code, contracts included; every npm package stays an import from node_modules, so native
// addons (argon2), PGlite's wasm and data files, piscina's and pino's worker files and swagger-ui's
// assets load from their own packages as they do from source. The bundles sit in apps/api/dist,
// one level below apps/api like src/paths.ts, so the paths it derives (drizzle/, package.json,
// ../web/dist) hold for both.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const api = `${root}apps/api`;
const outdir = `${api}/dist`;

const EXTERNAL = [
  '@electric-sql/pglite',
  '@node-rs/argon2',
  'piscina',
  'pino',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  'ioredis',
  '@sentry/*',
  '@opentelemetry/*',
  '@fastify/otel',
  'pg-native',
];
const BANNER = [
  "import { createRequire as __crewdeskCreateRequire } from 'node:module';",
  'const require = __crewdeskCreateRequire(import.meta.url);',
].join('\n');

rmSync(outdir, { recursive: true, force: true });
const started = performance.now();
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: {
    server: `${api}/src/server.ts`,
    cli: `${api}/src/cli.ts`,
    'lead-rows.worker': `${api}/src/modules/leads/lead-rows.worker.ts`,
  },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  // The oldest Node a release may still meet (20 warns at start); 22 and 24 are the supported lines.
  target: 'node20',
  external: EXTERNAL,
  banner: { js: BANNER },
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});

const sizes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith('.js'))
  .map(([file, { bytes }]) => `${file.replace(/^.*\//, '')} ${(bytes / 1024).toFixed(0)} KiB`);
console.log(`API compiled to apps/api/dist in ${Math.round(performance.now() - started)} ms: ${sizes.join(', ')}`);
