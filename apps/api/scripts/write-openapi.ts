/** Writes the OpenAPI document the running API serves, so CI can lint it with a standard linter. */
import { writeFileSync } from 'node:fs';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const out = process.argv[2] ?? 'openapi.json';
const app = await buildApp({ config: loadConfig({ DATABASE_URL: 'memory://', LOG_LEVEL: 'warn' }) });
await app.ready();
writeFileSync(out, `${JSON.stringify(app.swagger(), null, 2)}\n`);
await app.close();
console.log(`wrote ${out}`);
