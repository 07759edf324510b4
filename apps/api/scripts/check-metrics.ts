/**
 * Lints what /metrics exports with `promtool check metrics` (Prometheus's own linter: naming,
 * suffixes, units, help text). Builds the app on in-memory PGlite (or on the PostgreSQL database
 * given as the first argument, which adds the pool gauges), makes the requests that make every
 * series exist, scrapes /metrics and fails if promtool reports anything about a metric of ours.
 * prom-client's process metrics (`process_*`, `nodejs_*`) keep upstream's names and are only shown.
 *
 *   npm run metrics:lint [-- postgres://user@host/db]
 */
import { spawnSync } from 'node:child_process';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const UPSTREAM = /^(process|nodejs)_/;
const PASSWORD = 'correct horse battery staple';

const app = await buildApp({
  config: loadConfig({ DATABASE_URL: process.argv[2] ?? 'memory://', LOG_LEVEL: 'warn' }),
});
let body: string;
try {
  await app.ready();
  // A signed-in user (active users, the session cache's misses and hits), a task (an event through
  // the outbox to the activity consumer), a 404 (the not_found route).
  const email = `metrics-lint-${Date.now()}@example.com`;
  const registered = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password: PASSWORD, name: 'Metrics Lint' },
  });
  if (registered.statusCode !== 201) throw new Error(`register: ${registered.statusCode} ${registered.body}`);
  const headers = { authorization: `Bearer ${registered.json().accessToken as string}` };
  for (let i = 0; i < 2; i++) await app.inject({ method: 'GET', url: '/api/v1/me', headers });
  await app.inject({ method: 'POST', url: '/api/v1/tasks', headers, payload: { title: 'Check the metrics' } });
  await app.inject({ method: 'GET', url: '/api/v1/no-such-route' });
  await app.events.flush();

  const scraped = await app.inject({ method: 'GET', url: '/metrics' });
  if (scraped.statusCode !== 200) throw new Error(`/metrics: ${scraped.statusCode} ${scraped.body}`);
  body = scraped.body;
} finally {
  await app.close();
}

const names = new Set(
  body
    .split('\n')
    .map((line) => /^# TYPE (\S+) /.exec(line)?.[1])
    .filter((name): name is string => name !== undefined),
);
const ours = [...names].filter((name) => !UPSTREAM.test(name));
console.log(`${names.size} metrics scraped, ${ours.length} of them Crewdesk's: ${ours.join(', ')}`);

const promtool = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
if (promtool.error) {
  console.error(`could not run promtool (Debian: apt-get install prometheus): ${promtool.error.message}`);
  process.exit(2);
}
const output = `${promtool.stdout}${promtool.stderr}`.trim();
console.log(output ? `promtool check metrics:\n${output}` : 'promtool check metrics: no problems');

// promtool prints one problem per line, starting with the metric's name; anything else (a parse
// error, a name of ours) fails. Exit 3 means "lint problems"; any other failure is an error.
const problems = output
  .split('\n')
  .filter(Boolean)
  .filter((line) => !UPSTREAM.test(line));
if (promtool.status !== 0 && promtool.status !== 3) {
  console.error(`promtool exited with ${promtool.status}`);
  process.exit(1);
}
if (problems.length > 0) {
  console.error(`\n${problems.length} problem(s) with Crewdesk's metrics:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log("Crewdesk's metrics pass promtool");
