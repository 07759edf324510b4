import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { version } from '../../src/version.js';
import { PASSWORD, login, refresh } from '../helper.js';
import { childEnv, exitWithin, killLeftovers, removeDir, ROOT, run, tempDataDir } from './processes.js';

const CLI = 'apps/api/src/cli.ts';
const NEW_PASSWORD = 'a brand new passphrase 42';

/** Runs the CLI to its end; its exit code and output. */
async function cli(args: string[], env: Record<string, string> = {}) {
  const child = run([CLI, ...args], env);
  const exit = await exitWithin(child, 90_000);
  return { code: exit.code, stdout: child.stdout(), stderr: child.stderr() };
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing `typed` once `prompt` shows: what
 * a person at a terminal would see, echo included.
 */
function onTerminal(args: string[], env: Record<string, string>, prompt: string, typed: string) {
  const command = ['node', '--import', 'tsx', CLI, ...args].join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: childEnv(env) });
  let screen = '';
  let typedIt = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    screen += chunk;
    if (!typedIt && screen.includes(prompt)) {
      typedIt = true;
      child.stdin.write(`${typed}\r`);
    }
  });
  return new Promise<{ code: number | null; screen: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, screen })),
  );
}

const COMMANDS = ['migrate', 'create-admin', 'reset-password', 'rotate-signing-key', 'backup', 'restore'];

async function jwksKids(app: FastifyInstance): Promise<string[]> {
  const res = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  return (res.json() as { keys: { kid: string }[] }).keys.map((k) => k.kid);
}

describe('cli: behaves like a command-line tool', () => {
  afterAll(killLeftovers);

  it('--help and -h exit 0 and list every command; no command at all prints the same to a usage error (64)', async () => {
    for (const flag of ['--help', '-h']) {
      const res = await cli([flag]);
      expect(res.code, flag).toBe(0);
      for (const command of COMMANDS)
        expect(res.stdout, `${flag} lists ${command}`).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    const bare = await cli([]);
    expect(bare.code).toBe(64);
    expect(bare.stdout).toContain('Commands:');
  }, 120_000);

  it('--version and -V print the version and exit 0', async () => {
    for (const flag of ['--version', '-V']) {
      const res = await cli([flag]);
      expect(res.code, flag).toBe(0);
      expect(res.stdout.trim()).toBe(version);
    }
  }, 120_000);

  it('an unknown command exits 64 with the nearest command as a hint; an unknown or missing option exits 64 naming it', async () => {
    const typo = await cli(['reset-pasword']);
    expect(typo.code).toBe(64);
    expect(typo.stderr).toContain('Unknown command "reset-pasword". Did you mean "reset-password"?');
    expect(typo.stderr).toContain('--help');

    const unknownOption = await cli(['create-admin', '--email', 'a@example.com', '--nmae', 'A']);
    expect(unknownOption.code).toBe(64);
    expect(unknownOption.stderr).toContain("'--nmae'");

    const missing = await cli(['reset-password']);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('reset-password needs --email');
  }, 120_000);
});

describe('cli backup and restore: usage errors (the drills are apps/api/test-services/backup-restore.test.ts)', () => {
  afterAll(killLeftovers);

  it('backup without a destination, or with a malformed s3:// one, exits 64 naming what it needs', async () => {
    const none = await cli(['backup'], { DATABASE_URL: 'memory://' });
    expect(none.code).toBe(64);
    expect(none.stderr).toContain('backup needs --to DIR or --to s3://bucket/prefix (or BACKUP_DIR / BACKUP_S3_URL)');
    const bad = await cli(['backup', '--to', 's3://'], { DATABASE_URL: 'memory://' });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('is not s3://bucket or s3://bucket/prefix');
  }, 120_000);

  it('restore without a backup or with two exits 64; a missing file exits 65; an in-memory database exits 65', async () => {
    const none = await cli(['restore'], { DATABASE_URL: 'memory://' });
    expect(none.code).toBe(64);
    expect(none.stderr).toContain('restore needs the backup to restore');
    const two = await cli(['restore', 'a.tar.gz', 'b.tar.gz'], { DATABASE_URL: 'memory://' });
    expect(two.code).toBe(64);
    expect(two.stderr).toContain('restore takes one FILE|s3://bucket/key, not 2');
    const missing = await cli(['restore', '/nonexistent/crewdesk.tar.gz'], { DATABASE_URL: 'memory://' });
    expect(missing.code).toBe(65);
    expect(missing.stderr).toContain('no such file');
    const memory = await cli(['backup', '--to', tempDataDir()], { DATABASE_URL: 'memory://' });
    expect(memory.code).toBe(65);
    expect(memory.stderr).toContain('an in-memory database has nothing to back up');
  }, 120_000);
});

describe('cli reset-password and rotate-signing-key (embedded database on disk)', () => {
  const dataDir = tempDataDir();
  const email = `reset-${process.pid}@example.com`;
  const env = { DATA_DIR: dataDir };
  const open = async () => {
    const app = await buildApp({
      config: loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        RATE_LIMIT_AUTH_PER_MIN: '1000',
        // A loaded machine must not shed this test's own requests (load shedding has its own tests).
        MAX_EVENT_LOOP_DELAY_MS: '0',
      }),
    });
    await app.ready();
    return app;
  };
  let app: FastifyInstance | undefined;

  afterAll(async () => {
    await app?.close();
    await killLeftovers();
    removeDir(dataDir);
  });

  it('asks for the new password without echoing it, sets it, and ends every session of that account', async () => {
    const made = await cli(['create-admin', '--email', email, '--password', PASSWORD], env);
    expect(made.code, made.stderr).toBe(0);
    app = await open();
    const before = await login(app, email);
    await app.close();
    app = undefined;

    const typed = await onTerminal(['reset-password', '--email', email], env, 'New password for', NEW_PASSWORD);
    expect(typed.code, typed.screen).toBe(0);
    expect(typed.screen).toContain('Password of');
    expect(typed.screen, 'the password never shows on the terminal').not.toContain(NEW_PASSWORD);

    app = await open();
    expect((await refresh(app, before.refreshCookie)).statusCode, 'the earlier session has ended').toBe(401);
    const old = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: PASSWORD } });
    expect(old.statusCode, 'the old password no longer works').toBe(401);
    expect((await login(app, email, NEW_PASSWORD)).email).toBe(email);
  }, 240_000);

  it('refuses a weak password (65, naming password), an unknown account (67) and a prompt with nothing on stdin (65)', async () => {
    await app?.close();
    app = undefined;
    const weak = await cli(['reset-password', '--email', email, '--password', 'password123'], env);
    expect(weak.code).toBe(65);
    expect(weak.stderr).toMatch(/password.*too common/);

    const nobody = await cli(
      ['reset-password', '--email', `nobody-${process.pid}@example.com`, '--password', NEW_PASSWORD],
      env,
    );
    expect(nobody.code).toBe(67);
    expect(nobody.stderr).toContain('No account has the email');

    // run() gives the child no stdin: the prompt ends at once instead of waiting for ever.
    const silent = await cli(['reset-password', '--email', email], env);
    expect(silent.code).toBe(65);
    expect(silent.stderr).toContain('password: none was given');
  }, 240_000);

  it('rotate-signing-key: the next start signs with a new key; the old one’s tokens and sessions keep working', async () => {
    app = await open();
    const before = await login(app, email, NEW_PASSWORD);
    const kidsBefore = await jwksKids(app);
    expect(kidsBefore).toHaveLength(1);
    await app.close();
    app = undefined;

    const rotated = await cli(['rotate-signing-key'], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    const retired = readdirSync(join(dataDir, 'jwt-retired'));
    expect(retired).toHaveLength(1);
    expect(statSync(join(dataDir, 'jwt-retired', retired[0]!)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'jwt-ed25519.pem')).mode & 0o777).toBe(0o600);

    app = await open();
    const kidsAfter = await jwksKids(app);
    expect(kidsAfter).toHaveLength(2);
    expect(kidsAfter[1], 'the old key is still published').toBe(kidsBefore[0]);
    const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: before.auth });
    expect(me.statusCode, 'an access token of the old key still verifies').toBe(200);
    const refreshed = await refresh(app, before.refreshCookie);
    expect(refreshed.statusCode, 'the session carries on').toBe(200);
    expect(decodeProtectedHeader(refreshed.json().accessToken as string).kid).toBe(kidsAfter[0]);
  }, 240_000);

  it('rotate-signing-key refuses when JWT_PRIVATE_KEY is set (the key is the operator’s), saying what to do', async () => {
    const pem = readFileSync(join(dataDir, 'jwt-ed25519.pem'), 'utf8');
    const refused = await cli(['rotate-signing-key'], { ...env, JWT_PRIVATE_KEY: pem });
    expect(refused.code).toBe(65);
    expect(refused.stderr).toContain('JWT_ACCEPTED_KEYS');
  }, 120_000);
});
