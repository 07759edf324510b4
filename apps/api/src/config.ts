import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import ms, { type StringValue } from 'ms';
import { z } from 'zod';
import { Cron } from 'croner';
import { pemBlocks } from './shared/pem.js';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (v) => typeof ms(v as StringValue) === 'number' && ms(v as StringValue) > 0,
      'expected a duration such as 15m or 7d',
    )
    .transform((v) => Math.round(ms(v as StringValue) / 1000));
/** One or more Ed25519 keys in PEM, public or private, one after another. */
const ed25519Keys = z.string().superRefine((bundle, ctx) => {
  const blocks = pemBlocks(bundle);
  if (blocks.length === 0) ctx.addIssue({ code: 'custom', message: 'expected one or more Ed25519 keys in PEM' });
  blocks.forEach((pem, i) => {
    let type: string | undefined;
    try {
      type = createPublicKey(pem).asymmetricKeyType;
    } catch {
      type = 'unreadable';
    }
    if (type !== 'ed25519') ctx.addIssue({ code: 'custom', message: `key ${i + 1} is not an Ed25519 key (${type})` });
  });
});
const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const services = ['auth', 'tasks', 'agents', 'leads'] as const;

/** `forever` (the default: nothing is dropped) or a whole number of months, 1 to 1200. */
const retentionMonths = z
  .string()
  .default('forever')
  .transform((v, ctx) => {
    if (v === 'forever') return null;
    const months = /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(months) || months < 1 || months > 1200) {
      ctx.addIssue({ code: 'custom', message: 'expected forever or a whole number of months from 1 to 1200' });
      return z.NEVER;
    }
    return months;
  });

/** proxy-addr's names for address ranges, as Fastify's trustProxy accepts them. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
/**
 * Which X-Forwarded-For hops to believe: none, the last N (the proxies in front of the API), or
 * those added by these addresses. Never "every hop": the left-most entries are whatever the client
 * wrote, so it could choose its own address (and its own rate-limit bucket).
 */
const trustProxy = z
  .string()
  .default('false')
  .transform((v, ctx): false | number | string[] => {
    if (v === 'false' || v === '0') return false;
    if (v === 'true') {
      ctx.addIssue({
        code: 'custom',
        message:
          'true would trust every X-Forwarded-For hop, so a client could choose its own address; give the number of ' +
          'proxies in front of the API (1 behind one nginx) or their addresses/CIDRs (e.g. 10.0.0.0/8,127.0.0.1)',
      });
      return z.NEVER;
    }
    if (/^\d+$/.test(v)) {
      const hops = Number(v);
      if (hops <= 20) return hops;
      ctx.addIssue({ code: 'custom', message: 'expected at most 20 proxy hops' });
      return z.NEVER;
    }
    const entries = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = entries.filter((e) => !isProxyAddress(e));
    if (entries.length === 0 || bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `expected false, a hop count (1 behind one nginx) or comma-separated proxy addresses/CIDRs; not ${bad.join(', ') || v}`,
      });
      return z.NEVER;
    }
    return entries;
  });

// Backups (infra/backup): where `cli backup` and the schedule write, what they keep, and the S3
// client's settings, named as the AWS SDK and every S3 tool name them.
const backupVariables = {
  BACKUP_DIR: z.string().min(1).optional(),
  BACKUP_S3_URL: z
    .string()
    .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'expected s3://bucket or s3://bucket/prefix')
    .optional(),
  BACKUP_KEEP: z.coerce.number().int().min(1).max(10_000).default(14),
  BACKUP_SCHEDULE: z
    .string()
    .refine((expression) => {
      try {
        new Cron(expression, { paused: true, timezone: 'UTC' }).stop();
        return true;
      } catch {
        return false;
      }
    }, 'expected a cron expression such as "0 3 * * *" (every day at 03:00 UTC)')
    .optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  AWS_REGION: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'expected a region name such as eu-west-1')
    .optional(),
  AWS_ENDPOINT_URL: z.url('expected the S3-compatible server’s URL (https://minio.example:9000)').optional(),
};
type BackupEnv = z.output<z.ZodObject<typeof backupVariables>>;
function backupRules(env: BackupEnv, ctx: z.RefinementCtx) {
  if ((env.AWS_ACCESS_KEY_ID === undefined) !== (env.AWS_SECRET_ACCESS_KEY === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['AWS_SECRET_ACCESS_KEY'],
      message: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together',
    });
  }
  if (env.BACKUP_SCHEDULE && !env.BACKUP_DIR && !env.BACKUP_S3_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['BACKUP_SCHEDULE'],
      message: 'scheduled backups need somewhere to go: set BACKUP_DIR or BACKUP_S3_URL',
    });
  }
}
function backupConfig(e: BackupEnv) {
  return {
    dir: e.BACKUP_DIR ? resolve(e.BACKUP_DIR) : null,
    s3Url: e.BACKUP_S3_URL ?? null,
    keep: e.BACKUP_KEEP,
    schedule: e.BACKUP_SCHEDULE ?? null,
    s3: {
      region: e.AWS_REGION ?? null,
      endpoint: e.AWS_ENDPOINT_URL ?? null,
      credentials:
        e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
          ? {
              accessKeyId: e.AWS_ACCESS_KEY_ID,
              secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
              sessionToken: e.AWS_SESSION_TOKEN,
            }
          : null,
    },
  };
}

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: z
      .string()
      .regex(/^(postgres(ql)?:\/\/|memory:\/\/)/, 'expected postgres://… or memory://')
      .optional(),
    DATABASE_READ_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected postgres://…')
      .optional(),
    DATABASE_DIRECT_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected postgres://…')
      .optional(),
    DATABASE_PREPARED_STATEMENTS: bool.default(true),
    DATABASE_READ_MAX_LAG: z
      .string()
      .default('5s')
      .refine((v) => {
        const n = ms(v as StringValue);
        return typeof n === 'number' && n >= 1000 && n <= 3_600_000;
      }, 'expected a duration from 1s to 1h, such as 5s')
      .transform((v) => ms(v as StringValue)),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'expected redis://… or rediss://…')
      .optional(),
    SENTRY_DSN: z.url('expected a Sentry DSN URL (https://key@host/project)').optional(),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url('expected the collector’s OTLP/HTTP base URL (http://host:4318)').optional(),
    OTEL_SERVICE_NAME: z.string().min(1).max(100).default('crewdesk-api'),
    AMQP_URL: z
      .string()
      .regex(/^amqps?:\/\//, 'expected amqp://… or amqps://…')
      .optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
    JWT_PRIVATE_KEY: z
      .string()
      .includes('PRIVATE KEY', { message: 'expected an Ed25519 private key in PEM' })
      .optional(),
    JWT_ACCEPTED_KEYS: ed25519Keys.optional(),
    JWT_ISSUER: z.string().min(1).default('crewdesk'),
    JWT_AUDIENCE: z.string().min(1).default('crewdesk-api'),
    ACCESS_TOKEN_TTL: duration('15m'),
    REFRESH_TOKEN_TTL: duration('7d'),
    CORS_ORIGINS: csv.pipe(z.array(z.url())).optional(),
    ALLOW_REGISTRATION: bool.default(true),
    API_DOCS: bool.default(true),
    ADMIN_EMAIL: z.email().toLowerCase().optional(),
    ADMIN_PASSWORD: z.string().min(8).max(256).optional(),
    LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(10),
    LOGIN_ACCOUNT_MAX_FAILURES: z.coerce.number().int().min(1).default(20),
    BEARER_MAX_FAILURES: z.coerce.number().int().min(1).default(100),
    RATE_LIMIT_AUTH_PER_MIN: z.coerce.number().int().min(1).default(30),
    RATE_LIMIT_API_PER_MIN: z.coerce.number().int().min(1).default(600),
    MAX_UPLOAD_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024)
      .default(10 * 1024 * 1024),
    UPLOAD_PATH: z.string().min(1).optional(),
    DEFAULT_PHONE_REGION: z
      .string()
      .regex(/^[A-Z]{2}$/, 'expected an ISO 3166 country code such as US or IN')
      .optional(),
    METRICS_TOKEN: z
      .string()
      .min(16, 'use at least 16 characters, e.g. openssl rand -hex 32')
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
      .optional(),
    APP_REVISION: z
      .string()
      .max(100)
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces, e.g. a git commit')
      .optional(),
    TRUST_PROXY: trustProxy,
    SERVICES: z
      .string()
      .default('all')
      .transform((v) => (v === 'all' ? [...services] : v.split(',').map((s) => s.trim())))
      .pipe(z.array(z.enum(services)).min(1)),
    MAX_EVENT_LOOP_DELAY_MS: z.coerce
      .number()
      .int()
      .max(60_000)
      .refine((ms) => ms === 0 || ms >= 10, 'expected 0 (no load shedding) or at least 10 ms')
      .default(1000),
    SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(8_000).default(0),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // Partition maintenance (infra/db/partitions.ts): whole months of history kept before the current one.
    ASSIGNMENTS_RETENTION_MONTHS: retentionMonths,
    ACTIVITY_RETENTION_MONTHS: retentionMonths,
    ...backupVariables,
  })
  .superRefine(backupRules)
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    for (const name of ['DATABASE_URL', 'JWT_PRIVATE_KEY', 'CORS_ORIGINS'] as const) {
      if (env[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'required in production' });
    }
    if (env.DATABASE_URL?.startsWith('memory://')) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'an in-memory database loses everything on restart',
      });
    }
  })
  .superRefine((env, ctx) => {
    for (const name of ['DATABASE_DIRECT_URL', 'DATABASE_READ_URL'] as const) {
      if (env[name] !== undefined && !env.DATABASE_URL?.startsWith('postgres')) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'needs DATABASE_URL to name a PostgreSQL server' });
      }
    }
  })
  .superRefine((env, ctx) => {
    if ((env.ADMIN_EMAIL === undefined) !== (env.ADMIN_PASSWORD === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_PASSWORD'], message: 'ADMIN_EMAIL and ADMIN_PASSWORD go together' });
    }
  });

export type Env = z.input<typeof schema>;
export type ServiceName = (typeof services)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The secrets that may be read from a file instead, in the Docker convention: `NAME_FILE` holds the
 * path (a compose or Kubernetes secret mounted under /run/secrets), so the value never sits in the
 * environment, `docker inspect` or a process listing.
 */
export const FILE_VARIABLES = [
  'JWT_PRIVATE_KEY',
  'JWT_ACCEPTED_KEYS',
  'DATABASE_URL',
  'DATABASE_READ_URL',
  'DATABASE_DIRECT_URL',
  'REDIS_URL',
  'AMQP_URL',
  'METRICS_TOKEN',
  'ADMIN_PASSWORD',
  'SENTRY_DSN',
  'AWS_SECRET_ACCESS_KEY',
] as const;

/** Every variable this configuration reads: the schema's keys and the `_FILE` forms of the secrets. */
export const ENV_NAMES: readonly string[] = [
  ...Object.keys(schema.shape),
  ...FILE_VARIABLES.map((name) => `${name}_FILE`),
];

/** Replaces each `NAME_FILE` with NAME set to the file's content (one trailing line break dropped). */
function readSecretFiles(env: Record<string, string>, readFile: (path: string) => string) {
  const problems: string[] = [];
  const resolved = { ...env };
  for (const name of FILE_VARIABLES) {
    const path = env[`${name}_FILE`];
    delete resolved[`${name}_FILE`];
    if (path === undefined) continue;
    if (env[name] !== undefined) {
      problems.push(`${name}_FILE: set ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      resolved[name] = readFile(path).replace(/\r?\n$/, '');
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  return { env: resolved, problems };
}

export function loadConfig(
  source: Record<string, string | undefined> = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
) {
  // Empty strings mean "unset", as they do in most .env files and compose files.
  const given = Object.fromEntries(
    Object.entries(source).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  const { env, problems } = readSecretFiles(given, readFile);
  const parsed = schema.safeParse(env);
  if (!parsed.success || problems.length > 0) {
    const issues = parsed.success ? [] : parsed.error.issues;
    throw new ConfigError([...problems, ...issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`)]);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const dataDir = resolve(e.DATA_DIR);
  return {
    env: e.NODE_ENV,
    production,
    port: e.PORT,
    host: e.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    dataDir,
    database: {
      url: e.DATABASE_URL ?? null,
      readUrl: e.DATABASE_READ_URL ?? null,
      /** Session-bound work (migrations, session advisory locks): the server itself, never a pooler. */
      directUrl: e.DATABASE_DIRECT_URL ?? null,
      /** False: no named statement is ever sent (a pooler that cannot keep them, PgBouncer < 1.21). */
      preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
      /** Reads leave the replica while it is further behind than this, and a writer's reads stay on the primary this long. */
      readMaxLagMs: e.DATABASE_READ_MAX_LAG,
      poolSize: e.DATABASE_POOL_SIZE,
    },
    jwt: {
      privateKeyPem: e.JWT_PRIVATE_KEY ?? null,
      acceptedKeysPem: e.JWT_ACCEPTED_KEYS ?? null,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTtlSeconds: e.ACCESS_TOKEN_TTL,
      refreshTtlSeconds: e.REFRESH_TOKEN_TTL,
    },
    corsOrigins: e.CORS_ORIGINS ?? [],
    allowRegistration: e.ALLOW_REGISTRATION,
    apiDocs: e.API_DOCS,
    bootstrapAdmin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : null,
    loginMaxFailures: e.LOGIN_MAX_FAILURES,
    loginAccountMaxFailures: e.LOGIN_ACCOUNT_MAX_FAILURES,
    bearerMaxFailures: e.BEARER_MAX_FAILURES,
    redisUrl: e.REDIS_URL ?? null,
    sentryDsn: e.SENTRY_DSN ?? null,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT ?? null,
    otelServiceName: e.OTEL_SERVICE_NAME,
    amqpUrl: e.AMQP_URL ?? null,
    rateLimit: { authPerMinute: e.RATE_LIMIT_AUTH_PER_MIN, apiPerMinute: e.RATE_LIMIT_API_PER_MIN },
    defaultPhoneRegion: e.DEFAULT_PHONE_REGION ?? null,
    metricsToken: e.METRICS_TOKEN ?? null,
    /** The source revision of this build (e.g. a git commit), when the deployment says. */
    revision: e.APP_REVISION ?? null,
    uploads: { maxBytes: e.MAX_UPLOAD_BYTES, path: resolve(e.UPLOAD_PATH ?? `${dataDir}/uploads`) },
    trustProxy: e.TRUST_PROXY,
    services: new Set<ServiceName>(e.SERVICES),
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    maxEventLoopDelayMs: e.MAX_EVENT_LOOP_DELAY_MS,
    logLevel: e.LOG_LEVEL,
    /** Retention of the partitioned history, in whole months before the current one; null keeps it all. */
    partitions: { assignmentsMonths: e.ASSIGNMENTS_RETENTION_MONTHS, activityMonths: e.ACTIVITY_RETENTION_MONTHS },
    backup: backupConfig(e),
  };
}

export type Config = ReturnType<typeof loadConfig>;
