import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_NAMES, FILE_VARIABLES, loadConfig } from './config.js';

const PEM = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n';
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://crewdesk@db/crewdesk',
  JWT_PRIVATE_KEY: PEM,
  CORS_ORIGINS: 'https://crewdesk.example',
};

/** The ConfigError a bad environment raises (fails the test if none is raised). */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const c = loadConfig({});
    expect(c.env).toBe('development');
    expect(c.production).toBe(false);
    expect(c.port).toBe(3000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.dataDir).toBe(resolve('./data'));
    expect(c.database).toEqual({
      url: null,
      readUrl: null,
      directUrl: null,
      preparedStatements: true,
      readMaxLagMs: 5000,
      poolSize: 20,
    });
    expect(c.jwt).toEqual({
      privateKeyPem: null,
      acceptedKeysPem: null,
      issuer: 'crewdesk',
      audience: 'crewdesk-api',
      accessTtlSeconds: 15 * 60,
      refreshTtlSeconds: 7 * 24 * 3600,
    });
    expect(c.corsOrigins).toEqual([]);
    expect(c.allowRegistration).toBe(true);
    expect(c.bootstrapAdmin).toBeNull();
    expect(c.loginMaxFailures).toBe(10);
    expect(c.loginAccountMaxFailures).toBe(20);
    expect(c.bearerMaxFailures).toBe(100);
    expect(c.rateLimit).toEqual({ authPerMinute: 30, apiPerMinute: 600 });
    expect(c.defaultPhoneRegion).toBeNull();
    expect(c.trustProxy).toBe(false);
    // SERVICES defaults to all: every module this build has, auth and tasks among them.
    expect(c.services).toEqual(loadConfig({ SERVICES: 'all' }).services);
    expect(c.services).toContain('auth');
    expect(c.services).toContain('tasks');
    expect(c.shutdownDrainMs).toBe(0);
    expect(c.logLevel).toBe('info');
  });

  it('treats empty strings as unset', () => {
    const c = loadConfig({ PORT: '', LOG_LEVEL: '', DATABASE_URL: '', ALLOW_REGISTRATION: '' });
    expect(c.port).toBe(3000);
    expect(c.logLevel).toBe('info');
    expect(c.database.url).toBeNull();
    expect(c.allowRegistration).toBe(true);
  });

  it('reads explicit values', () => {
    const c = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATA_DIR: '/var/lib/crewdesk',
      DATABASE_URL: 'memory://',
      DATABASE_POOL_SIZE: '5',
      ALLOW_REGISTRATION: 'false',
      TRUST_PROXY: '1',
      DEFAULT_PHONE_REGION: 'IN',
      LOGIN_MAX_FAILURES: '3',
      RATE_LIMIT_AUTH_PER_MIN: '5',
      RATE_LIMIT_API_PER_MIN: '100',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      SERVICES: 'auth',
      LOG_LEVEL: 'debug',
    });
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/var/lib/crewdesk',
      allowRegistration: false,
      trustProxy: 1,
      defaultPhoneRegion: 'IN',
      loginMaxFailures: 3,
      rateLimit: { authPerMinute: 5, apiPerMinute: 100 },
      corsOrigins: ['https://a.example', 'https://b.example'],
      logLevel: 'debug',
    });
    expect(c.database).toMatchObject({ url: 'memory://', poolSize: 5 });
    expect([...c.services]).toEqual(['auth']);
  });

  it('takes TRUST_PROXY as a hop count or a list of proxy addresses/CIDRs, false by default', () => {
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,fd00::/8 , loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('refuses TRUST_PROXY=true (every hop trusted), naming the variable and what to use instead', () => {
    const problems = problemsOf({ TRUST_PROXY: 'true' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^TRUST_PROXY: /);
    expect(problems[0]).toMatch(/number of proxies/);
    expect(problems[0]).toMatch(/CIDR/);
  });

  it.each(['10.0.0.0/33', '10.0.0', 'proxy.internal', '1.2.3.4/8/1', '::1/129', '21'])(
    'refuses TRUST_PROXY=%j',
    (value) => {
      expect(problemsOf({ TRUST_PROXY: value })[0]).toMatch(/^TRUST_PROXY: /);
    },
  );

  it('parses SERVICES as a comma-separated list and refuses unknown services', () => {
    expect([...loadConfig({ SERVICES: 'tasks, auth' }).services].sort()).toEqual(['auth', 'tasks']);
    expect(problemsOf({ SERVICES: 'auth,billing' }).join('\n')).toMatch(/SERVICES/);
  });

  it.each([
    ['15m', 900],
    ['7d', 604_800],
    ['90s', 90],
    ['1h', 3600],
    ['2 days', 172_800],
  ])('parses the duration %s to %i seconds', (text, seconds) => {
    expect(loadConfig({ ACCESS_TOKEN_TTL: text }).jwt.accessTtlSeconds).toBe(seconds);
    expect(loadConfig({ REFRESH_TOKEN_TTL: text }).jwt.refreshTtlSeconds).toBe(seconds);
  });

  it.each(['soon', '-5m', '0s', 'abc'])('refuses the duration %j, naming the variable', (text) => {
    const problems = problemsOf({ ACCESS_TOKEN_TTL: text });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ACCESS_TOKEN_TTL: /);
  });

  it('names every bad variable at once (PORT=abc and LOG_LEVEL=loud together)', () => {
    const problems = problemsOf({ PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(problems).toHaveLength(2);
    expect(problems.some((p) => p.startsWith('PORT: '))).toBe(true);
    expect(problems.some((p) => p.startsWith('LOG_LEVEL: '))).toBe(true);
  });

  it('puts each problem on its own line of the error message', () => {
    try {
      loadConfig({ PORT: '70000', ALLOW_REGISTRATION: 'yes', DEFAULT_PHONE_REGION: 'india' });
      expect.unreachable();
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toMatch(/^Invalid configuration:/);
      for (const name of ['PORT', 'ALLOW_REGISTRATION', 'DEFAULT_PHONE_REGION']) {
        expect(message).toMatch(new RegExp(`^  - ${name}: `, 'm'));
      }
    }
  });

  it.each([
    ['PORT', '-1'],
    ['PORT', '3000.5'],
    ['DATABASE_URL', 'mysql://db/crewdesk'],
    ['DATABASE_READ_URL', 'memory://'],
    ['DATABASE_DIRECT_URL', 'memory://'],
    ['DATABASE_PREPARED_STATEMENTS', 'no'],
    ['DATABASE_READ_MAX_LAG', '5'],
    ['DATABASE_READ_MAX_LAG', '2h'],
    ['DATABASE_POOL_SIZE', '0'],
    ['JWT_PRIVATE_KEY', 'not a pem'],
    ['JWT_ACCEPTED_KEYS', 'not a pem'],
    ['CORS_ORIGINS', 'not a url'],
    ['ALLOW_REGISTRATION', 'yes'],
    ['TRUST_PROXY', 'on'],
    ['ADMIN_EMAIL', 'not-an-email'],
    ['LOGIN_MAX_FAILURES', '0'],
    ['LOGIN_ACCOUNT_MAX_FAILURES', '0'],
    ['BEARER_MAX_FAILURES', 'many'],
    ['DEFAULT_PHONE_REGION', 'in'],
    ['NODE_ENV', 'staging'],
    ['SHUTDOWN_DRAIN_MS', '60000'],
  ])('refuses %s=%j, naming it', (name, value) => {
    const env: Record<string, string> = { [name]: value };
    if (name === 'ADMIN_EMAIL') env.ADMIN_PASSWORD = 'a long enough password';
    const problems = problemsOf(env);
    expect(problems.some((p) => p.startsWith(`${name}`))).toBe(true);
  });

  it('reads the pooler settings: a direct URL, prepared statements off, a lag bound', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://app@pooler:6432/crewdesk',
      DATABASE_DIRECT_URL: 'postgres://app@primary:5432/crewdesk',
      DATABASE_READ_URL: 'postgres://app@replica:5432/crewdesk',
      DATABASE_PREPARED_STATEMENTS: 'false',
      DATABASE_READ_MAX_LAG: '2s',
    });
    expect(c.database).toMatchObject({
      directUrl: 'postgres://app@primary:5432/crewdesk',
      preparedStatements: false,
      readMaxLagMs: 2000,
    });
  });

  it('refuses DATABASE_DIRECT_URL and DATABASE_READ_URL without a PostgreSQL DATABASE_URL', () => {
    expect(() => loadConfig({ DATABASE_DIRECT_URL: 'postgres://primary/crewdesk' })).toThrow(
      /DATABASE_DIRECT_URL: needs DATABASE_URL/,
    );
    expect(() => loadConfig({ DATABASE_URL: 'memory://', DATABASE_READ_URL: 'postgres://replica/crewdesk' })).toThrow(
      /DATABASE_READ_URL: needs DATABASE_URL/,
    );
  });

  it('refuses ADMIN_EMAIL without ADMIN_PASSWORD, and the reverse', () => {
    expect(problemsOf({ ADMIN_EMAIL: 'boss@example.com' }).join('\n')).toMatch(/ADMIN_EMAIL and ADMIN_PASSWORD/);
    expect(problemsOf({ ADMIN_PASSWORD: 'a long enough password' }).join('\n')).toMatch(
      /ADMIN_EMAIL and ADMIN_PASSWORD/,
    );
  });

  it('refuses an ADMIN_PASSWORD shorter than 8 characters', () => {
    expect(problemsOf({ ADMIN_EMAIL: 'boss@example.com', ADMIN_PASSWORD: 'short' }).join('\n')).toMatch(
      /^ADMIN_PASSWORD: /,
    );
  });

  it('takes ADMIN_EMAIL with ADMIN_PASSWORD as the bootstrap admin, email lower-cased', () => {
    const c = loadConfig({ ADMIN_EMAIL: 'Boss@Example.COM', ADMIN_PASSWORD: 'a long enough password' });
    expect(c.bootstrapAdmin).toEqual({ email: 'boss@example.com', password: 'a long enough password' });
  });

  it('demands DATABASE_URL, JWT_PRIVATE_KEY and CORS_ORIGINS in production, naming each', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    for (const name of ['DATABASE_URL', 'JWT_PRIVATE_KEY', 'CORS_ORIGINS']) {
      expect(problems).toContain(`${name}: required in production`);
    }
  });

  it('refuses an in-memory database in production', () => {
    expect(problemsOf({ ...PRODUCTION, DATABASE_URL: 'memory://' }).join('\n')).toMatch(/^DATABASE_URL: /m);
  });

  it('accepts a complete production environment and listens on all interfaces there', () => {
    const c = loadConfig(PRODUCTION);
    expect(c.production).toBe(true);
    expect(c.host).toBe('0.0.0.0');
    expect(c.jwt.privateKeyPem).toBe(PEM);
    expect(c.corsOrigins).toEqual(['https://crewdesk.example']);
    expect(loadConfig({ ...PRODUCTION, HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
  });

  describe('secrets from files (NAME_FILE, the Docker convention)', () => {
    it('reads JWT_PRIVATE_KEY_FILE, DATABASE_URL_FILE and METRICS_TOKEN_FILE from real files, dropping the final line break', () => {
      const dir = mkdtempSync(join(tmpdir(), 'crewdesk-config-'));
      try {
        writeFileSync(join(dir, 'jwt.pem'), PEM);
        writeFileSync(join(dir, 'database_url'), 'postgres://crewdesk:s3cret@db/crewdesk\n');
        writeFileSync(join(dir, 'metrics_token'), 'a-metrics-token-of-32-characters\r\n');
        const c = loadConfig({
          NODE_ENV: 'production',
          CORS_ORIGINS: 'https://crewdesk.example',
          JWT_PRIVATE_KEY_FILE: join(dir, 'jwt.pem'),
          DATABASE_URL_FILE: join(dir, 'database_url'),
          METRICS_TOKEN_FILE: join(dir, 'metrics_token'),
        });
        // The PEM keeps every line but the last line break; a one-line secret loses its newline.
        expect(c.jwt.privateKeyPem).toBe(PEM.replace(/\n$/, ''));
        expect(c.database.url).toBe('postgres://crewdesk:s3cret@db/crewdesk');
        expect(c.metricsToken).toBe('a-metrics-token-of-32-characters');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('validates what the file holds exactly as it validates the variable', () => {
      const read = () => 'mysql://crewdesk@db/crewdesk\n';
      expect(() => loadConfig({ DATABASE_URL_FILE: '/run/secrets/database_url' }, read)).toThrow(
        'DATABASE_URL: expected postgres://… or memory://',
      );
    });

    it('refuses a file that cannot be read, naming the variable and the path', () => {
      const problems = problemsOf({ JWT_PRIVATE_KEY_FILE: '/nonexistent/crewdesk/jwt.pem' });
      expect(problems).toEqual(['JWT_PRIVATE_KEY_FILE: cannot read /nonexistent/crewdesk/jwt.pem (ENOENT)']);
    });

    it('refuses NAME and NAME_FILE together rather than choosing one', () => {
      const problems = problemsOf({ REDIS_URL: 'redis://a', REDIS_URL_FILE: '/run/secrets/redis_url' });
      expect(problems).toEqual(['REDIS_URL_FILE: set REDIS_URL or REDIS_URL_FILE, not both']);
    });

    it('lists every variable it reads, secrets with their _FILE forms, for the deployment checks', () => {
      expect(ENV_NAMES).toContain('SHUTDOWN_DRAIN_MS');
      for (const name of FILE_VARIABLES) {
        expect(ENV_NAMES).toContain(name);
        expect(ENV_NAMES).toContain(`${name}_FILE`);
      }
      expect(ENV_NAMES).not.toContain('JWT_SECRET');
    });
  });

  describe('backups', () => {
    it('defaults: nothing scheduled, 14 kept, no S3 endpoint', () => {
      const { backup } = loadConfig({});
      expect(backup).toMatchObject({ dir: null, s3Url: null, keep: 14, schedule: null });
      expect(backup.s3).toEqual({ region: null, endpoint: null, credentials: null });
    });

    it('reads the S3 settings from the standard AWS_* variables', () => {
      const { backup } = loadConfig({
        BACKUP_S3_URL: 's3://my-bucket/crewdesk',
        BACKUP_SCHEDULE: '0 3 * * *',
        BACKUP_KEEP: '30',
        AWS_ACCESS_KEY_ID: 'AKIA',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9000',
      });
      expect(backup).toMatchObject({ s3Url: 's3://my-bucket/crewdesk', schedule: '0 3 * * *', keep: 30 });
      expect(backup.s3).toEqual({
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9000',
        credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret', sessionToken: undefined },
      });
    });

    it('names every bad backup variable: a cron that is not one, a schedule with nowhere to go, half a key pair, a bad bucket URL', () => {
      let error: ConfigError | undefined;
      try {
        loadConfig({
          BACKUP_SCHEDULE: 'every day',
          BACKUP_KEEP: '0',
          BACKUP_S3_URL: 'https://bucket',
          AWS_ACCESS_KEY_ID: 'AKIA',
        });
      } catch (err) {
        error = err as ConfigError;
      }
      expect(error?.problems.join('\n')).toMatch(/BACKUP_SCHEDULE: expected a cron expression/);
      expect(error?.problems.join('\n')).toMatch(/BACKUP_KEEP/);
      expect(error?.problems.join('\n')).toMatch(/BACKUP_S3_URL: expected s3:\/\/bucket/);
      expect(() => loadConfig({ AWS_ACCESS_KEY_ID: 'AKIA' })).toThrow(
        /AWS_SECRET_ACCESS_KEY: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together/,
      );
      expect(() => loadConfig({ BACKUP_SCHEDULE: '0 3 * * *' })).toThrow(
        /BACKUP_SCHEDULE: scheduled backups need somewhere to go/,
      );
    });
  });
});
