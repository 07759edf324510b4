import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_NAMES, loadConfig } from '../../apps/api/src/config.js';
import { imageUser } from '../check/image.js';
import { composeSchemaValidator, loadCompose, readEnvFile, type ComposeFile } from '../check/compose.js';

const FILE = 'deploy/compose.production.yml';
const ENV = readEnvFile('deploy/.env.example');
const compose = loadCompose(FILE, ENV);
const services = Object.entries(compose.services);
/** Services that run for good (the one-shot migrate exits, and the API waits for that). */
const longRunning = services.filter(([, service]) => service.restart !== 'no');
const apiServices = services.filter(([name, service]) => service.image === ENV.CREWDESK_IMAGE && name !== 'web-assets');
const DIGEST = /^[a-z0-9./_-]+(:[\w.-]+)?@sha256:[0-9a-f]{64}$/;

describe('deploy/compose.production.yml', () => {
  it('has no `version:` and validates against the compose specification’s JSON schema', () => {
    expect(compose).not.toHaveProperty('version');
    const validate = composeSchemaValidator();
    const valid = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema check refuses a misspelled key (so the check above can fail)', () => {
    const validate = composeSchemaValidator();
    const broken = structuredClone(compose) as ComposeFile;
    (broken.services.redis as Record<string, unknown>).healtcheck = { test: ['CMD', 'true'] };
    expect(validate(broken)).toBe(false);
  });

  it('refuses to start without the images and origins deploy/.env must give (the ${VAR:?} guards)', () => {
    const { CREWDESK_IMAGE: _, ...withoutImage } = ENV;
    expect(() => loadCompose(FILE, withoutImage)).toThrow(/CREWDESK_IMAGE: set CREWDESK_IMAGE/);
  });

  it('publishes ports only on nginx, 80 and 443 (to its unprivileged 8080 and 8443)', () => {
    const publishing = services.filter(([, service]) => service.ports?.length).map(([name]) => name);
    expect(publishing.sort()).toEqual(['nginx', 'nginx-split']);
    for (const name of publishing) {
      expect(compose.services[name]!.image).toBe(ENV.NGINX_IMAGE);
      expect(compose.services[name]!.ports).toEqual(['80:8080', '443:8443']);
    }
  });

  it('pins every image by digest', () => {
    for (const [name, service] of services) expect(service.image, name).toMatch(DIGEST);
    for (const [key, value] of Object.entries(ENV).filter(([key]) => key.endsWith('_IMAGE'))) {
      expect(value, key).toMatch(DIGEST);
      expect(value, key).not.toMatch(/:latest@/);
    }
  });

  it('gives every long-running service a health check with a start period, and a memory limit', () => {
    for (const [name, service] of longRunning) {
      expect(service.healthcheck?.test, `${name} healthcheck`).toBeDefined();
      expect(service.healthcheck?.disable, name).toBeUndefined();
      expect(service.healthcheck?.start_period, `${name} start_period`).toMatch(/^\d+s$/);
    }
    for (const [name, service] of services) {
      expect(service.deploy?.resources?.limits?.memory, `${name} memory limit`).toMatch(/^\d+[MG]$/);
    }
  });

  it('starts each service only after what it needs is healthy, and the API only after migrate succeeded', () => {
    for (const [name, service] of services) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const oneShot = dependency === 'migrate' || dependency === 'web-assets';
        const expected = oneShot ? 'service_completed_successfully' : 'service_healthy';
        expect(condition, `${name} → ${dependency}`).toBe(expected);
        expect(compose.services[dependency], `${name} depends on a service that exists`).toBeDefined();
      }
    }
    expect(apiServices.map(([name]) => name).sort()).toEqual(['agents', 'api', 'auth', 'leads', 'migrate', 'tasks']);
    for (const [name, service] of apiServices.filter(([name]) => name !== 'migrate')) {
      expect(service.depends_on?.migrate?.condition, name).toBe('service_completed_successfully');
    }
    expect(compose.services.migrate!.command).toEqual(['migrate']);
  });

  it('hardens every container: read-only root, tmpfs for /tmp, no new privileges, no capabilities, a pids limit, rotated logs', () => {
    for (const [name, service] of services) {
      expect(service.read_only, name).toBe(true);
      expect(service.security_opt, name).toContain('no-new-privileges:true');
      expect(service.cap_drop, name).toEqual(['ALL']);
      expect(service.pids_limit, name).toBeGreaterThan(0);
      expect(
        service.tmpfs?.some((mount) => mount.startsWith('/tmp')),
        `${name} /tmp tmpfs`,
      ).toBe(true);
      expect(service.logging?.driver, name).toBe('json-file');
      expect(service.logging?.options?.['max-size'], name).toBeDefined();
      expect(service.logging?.options?.['max-file'], name).toBeDefined();
    }
    // The image's own user, so its files and the data volume are what the process may write.
    const { uid, gid } = imageUser();
    for (const [name, service] of apiServices) expect(service.user, name).toBe(`${uid}:${gid}`);
  });

  it('passes secrets as files, never inline: no secret-looking value in any environment', () => {
    // URLs that name a place and carry no credential: a bucket (s3://bucket/prefix), an S3 endpoint.
    const locations = new Set(['BACKUP_S3_URL', 'AWS_ENDPOINT_URL']);
    for (const [name, service] of services) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|PRIVATE_KEY|_URL$/.test(key) && !locations.has(key)) {
          expect(key, `${name}: ${key} is a secret and must be a _FILE`).toMatch(/_FILE$/);
          expect(value, `${name}: ${key}`).toMatch(/^\/run\/secrets\//);
        }
      }
    }
    for (const [name, secret] of Object.entries(compose.secrets ?? {})) {
      expect(secret.file, name).toMatch(/^\.\/secrets\//);
    }
  });

  it('stores data only in named volumes; host files are mounted read-only', () => {
    const named = Object.keys(compose.volumes ?? {});
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(':');
        if (source!.startsWith('./')) expect(volume, name).toMatch(/:ro$/);
        else expect(named, `${name}: ${volume}`).toContain(source);
      }
    }
    expect(named.sort()).toEqual([
      'backups',
      'postgres-data',
      'postgres-replica-data',
      'rabbitmq-data',
      'redis-data',
      'uploads',
      'web-assets',
    ]);
    // Every API container shares the import originals and the backups (what a restore brings back).
    for (const [name, service] of apiServices.filter(([name]) => name !== 'migrate')) {
      expect(service.volumes, name).toEqual(['uploads:/data/uploads', 'backups:/data/backups']);
      expect(service.environment?.UPLOAD_PATH, name).toBe('/data/uploads');
      expect(service.environment?.BACKUP_DIR, name).toBe('/data/backups');
      // Backups and restores stage on the container's /data volume, not in the 64 MiB /tmp tmpfs.
      expect(service.environment?.TMPDIR, name).toBe('/data/tmp');
    }
  });

  it('mounts the gateway config rendered from deploy/nginx for these service names', () => {
    // Whole nginx.conf files (apps/api/test/deploy/nginx.test.ts checks they are what the renderer
    // makes), and the web app's files copied out of the image by the one-shot web-assets.
    expect(compose.services.nginx!.volumes).toEqual([
      './nginx/rendered/compose.conf:/etc/nginx/nginx.conf:ro',
      'web-assets:/usr/share/nginx/html:ro',
    ]);
    expect(compose.services['nginx-split']!.volumes).toEqual([
      './nginx/rendered/compose.split.conf:/etc/nginx/nginx.conf:ro',
      'web-assets:/usr/share/nginx/html:ro',
    ]);
    for (const gateway of ['nginx', 'nginx-split']) {
      expect(compose.services[gateway]!.depends_on?.['web-assets']?.condition).toBe('service_completed_successfully');
    }
    // The config's TLS files are the secrets' default paths.
    const config = readFileSync('deploy/nginx/rendered/compose.conf', 'utf8');
    for (const secret of compose.services.nginx!.secrets as { target: string }[]) {
      expect(config).toContain(`/run/secrets/${secret.target};`);
    }
  });

  it('runs the split services with the SERVICES value of their name, and sets only variables config.ts reads', () => {
    for (const name of ['auth', 'tasks', 'agents', 'leads']) {
      expect(compose.services[name]!.environment!.SERVICES).toBe(name);
      expect(compose.services[name]!.profiles).toEqual(['split']);
    }
    expect(compose.services.api!.deploy!.replicas).toBe(Number(ENV.API_REPLICAS));
    for (const [name, service] of apiServices) {
      // TMPDIR is the runtime's (os.tmpdir()), not Crewdesk's configuration.
      for (const key of Object.keys(service.environment ?? {}).filter((key) => key !== 'TMPDIR'))
        expect(ENV_NAMES, `${name}: ${key}`).toContain(key);
    }
  });
});

describe("Debian's docker-compose config (1.29, the compose specification before profiles were honoured by config)", () => {
  const bin = '/usr/bin/docker-compose';
  it('accepts the file with deploy/.env.example, every service of both shapes resolved', () => {
    expect(existsSync(bin), `${bin} (apt-get install -y docker-compose)`).toBe(true);
    const run = (...args: string[]) =>
      spawnSync(bin, ['-f', FILE, '--env-file', 'deploy/.env.example', 'config', ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      });
    const quiet = run('-q');
    expect(quiet.stderr).toBe('');
    expect(quiet.status).toBe(0);
    const listed = run('--services');
    expect(listed.stdout.trim().split('\n').sort()).toEqual(Object.keys(compose.services).sort());
  });

  it('refuses a broken file (so the check above can fail): a depends_on condition compose does not know', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crewdesk-compose-'));
    try {
      const broken = readFileSync(FILE, 'utf8').replace('service_completed_successfully', 'service_finished');
      writeFileSync(join(dir, 'compose.yml'), broken);
      const result = spawnSync(
        bin,
        ['-f', join(dir, 'compose.yml'), '--env-file', 'deploy/.env.example', 'config', '-q'],
        {
          encoding: 'utf8',
          env: { PATH: process.env.PATH },
        },
      );
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/service_finished/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/generate-secrets.sh', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'crewdesk-secrets-'));
    execFileSync('bash', ['deploy/generate-secrets.sh', '--dir', join(dir, 'secrets')], { stdio: 'pipe' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const read = (name: string) => readFileSync(join(dir, 'secrets', name), 'utf8');

  it('writes every file compose mounts, in a folder only its owner can enter', () => {
    for (const [name, secret] of Object.entries(compose.secrets ?? {})) {
      if (name.startsWith('tls_')) continue; // the operator's certificate
      expect(existsSync(join(dir, secret.file)), secret.file).toBe(true);
    }
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
  });

  it('writes secrets config.ts accepts in production through the _FILE variables', () => {
    const files = Object.fromEntries(
      Object.entries(compose.services.api!.environment!)
        .filter(([key]) => key.endsWith('_FILE'))
        .map(([key, path]) => [
          key,
          join(
            dir,
            'secrets',
            path.replace('/run/secrets/', '') === 'jwt_private_key'
              ? 'jwt_private_key.pem'
              : path.replace('/run/secrets/', ''),
          ),
        ]),
    );
    const config = loadConfig({ ...compose.services.api!.environment, ...files });
    expect(config.production).toBe(true);
    expect(createPrivateKey(config.jwt.privateKeyPem!).asymmetricKeyType).toBe('ed25519');
    expect(config.database.url).toMatch(/^postgres:\/\/crewdesk:[0-9a-f]{48}@pgbouncer:6432\/crewdesk$/);
    expect(config.database.readUrl).toMatch(/@postgres-replica:5432\//);
    expect(config.redisUrl).toBe(`redis://:${read('redis_password').trim()}@redis:6379/0`);
    expect(config.amqpUrl).toBe(`amqp://crewdesk:${read('rabbitmq_password').trim()}@rabbitmq:5672`);
    expect(config.metricsToken).toMatch(/^[0-9a-f]{64}$/);
  });

  it('puts the same passwords in the server configs as in the URLs', () => {
    const postgres = read('postgres_password').trim();
    expect(read('database_direct_url')).toContain(`:${postgres}@postgres:5432/`);
    expect(read('pgbouncer_userlist.txt').trim()).toBe(`"crewdesk" "${postgres}"`);
    expect(read('redis.conf')).toContain(`requirepass ${read('redis_password').trim()}`);
    expect(read('rabbitmq.conf')).toContain(`default_pass = ${read('rabbitmq_password').trim()}`);
    expect(read('pgbouncer.ini')).toMatch(/pool_mode = transaction[\s\S]*max_prepared_statements = 200/);
  });

  it('keeps existing secrets on a second run (a new signing key would sign everyone out)', () => {
    const before = read('jwt_private_key.pem') + read('postgres_password');
    execFileSync('bash', ['deploy/generate-secrets.sh', '--dir', join(dir, 'secrets')], { stdio: 'pipe' });
    expect(read('jwt_private_key.pem') + read('postgres_password')).toBe(before);
  });
});
