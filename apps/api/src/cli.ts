import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest, distance } from 'fastest-levenshtein';
import pino from 'pino';
import { read } from 'read';
import { createUserBody, email as emailSchema } from '@crewdesk/contracts';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './infra/db/client.js';
import {
  ArchiveError,
  BackupBusy,
  BackupRefused,
  openConnection,
  openStore,
  runBackup,
  runRestore,
  UploadsNotRestored,
} from './infra/backup/index.js';
import { recordEvents } from './infra/events/events.js';
import { databaseSessionEnder, rotateSigningKey } from './modules/auth/index.js';
import { UsersService } from './modules/users/index.js';
import { AppError } from './shared/errors.js';
import { version } from './version.js';

/** sysexits(3): what scripts around the CLI can tell apart. */
const EXIT = { ok: 0, failure: 1, usage: 64, refused: 65, noUser: 67, busy: 75 } as const;

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

interface Command {
  /** The options after the command's name, as the help shows them. */
  synopsis: string;
  summary: string;
  options: Options;
  /** The options it cannot do without. */
  required?: string[];
  /** The one argument it takes that is not an option, stored in the values under this name. */
  positional?: string;
  /** It works on files alone: the database is not opened (nor migrated). */
  offline?: (values: Values, config: Config) => Promise<number>;
  run?(values: Values, context: { database: DatabaseHandle; config: Config }): Promise<number>;
}

class Refused extends Error {}
class UsageError extends Error {}

const S3_URL = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;
const quiet = () => pino({ level: 'warn' });

/** Asks on the terminal without echoing; reads a line from stdin when it is not a terminal (scripts). */
async function askPassword(prompt: string): Promise<string> {
  const none = () => new Refused('password: none was given (pass --password, or type it when asked)');
  // read() never settles when stdin ends before a line (a script with nothing to give).
  const ended = new Promise<never>((_, reject) => process.stdin.once('end', () => reject(none())));
  ended.catch(() => {});
  try {
    return await Promise.race([read({ prompt, silent: true, replace: '*', output: process.stderr }), ended]);
  } catch {
    throw none();
  }
}

function usersService(database: DatabaseHandle, config: Config) {
  return new UsersService({
    db: database.db,
    defaultPhoneRegion: config.defaultPhoneRegion,
    // Events land in the outbox; a running server's relay publishes them.
    events: { record: recordEvents, committed: () => {} },
    sessions: databaseSessionEnder(database.db),
  });
}

const commands: Record<string, Command> = {
  migrate: {
    synopsis: '',
    summary: 'apply database migrations (also done at every start)',
    options: {},
    async run(_values, { database }) {
      console.log(`Migrations applied (${database.kind}).`);
      return EXIT.ok;
    },
  },
  'create-admin': {
    synopsis: '--email E [--name N] [--password P]',
    summary: 'create an admin; asks for the password (not echoed) when it is not given',
    options: { email: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' } },
    required: ['email'],
    async run(values, { database, config }) {
      const password = (values.password as string | undefined) ?? (await askPassword('Password for the new admin: '));
      const input = createUserBody.safeParse({
        email: values.email,
        name: values.name ?? 'Administrator',
        password,
        role: 'admin',
      });
      if (!input.success) {
        throw new Refused(input.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
      }
      const user = await usersService(database, config).createAccount(input.data);
      console.log(`Created admin ${user.email} (${user.id}).`);
      return EXIT.ok;
    },
  },
  'reset-password': {
    synopsis: '--email E [--password P]',
    summary: "set someone's password and end all their sessions; asks for it (not echoed) when it is not given",
    options: { email: { type: 'string' }, password: { type: 'string' } },
    required: ['email'],
    async run(values, { database, config }) {
      const email = emailSchema.safeParse(values.email);
      if (!email.success) throw new Refused(`email: ${email.error.issues[0]?.message ?? 'not an email address'}`);
      const service = usersService(database, config);
      const user = await service.findByEmail(email.data);
      if (!user) {
        console.error(`No account has the email ${email.data}.`);
        return EXIT.noUser;
      }
      const password =
        (values.password as string | undefined) ?? (await askPassword(`New password for ${user.email}: `));
      await service.setPassword(user.id, password);
      console.log(`Password of ${user.email} changed; every session of theirs has ended (sign in again).`);
      return EXIT.ok;
    },
  },
  'rotate-signing-key': {
    synopsis: '',
    summary:
      'embedded mode: a new signing key in DATA_DIR from the next start; tokens of the old one keep working until they expire',
    options: {},
    async offline(_values, config) {
      if (config.jwt.privateKeyPem) {
        throw new Refused(
          'JWT_PRIVATE_KEY is set, so the key is yours to rotate: list the new key in JWT_ACCEPTED_KEYS everywhere, ' +
            'then make it JWT_PRIVATE_KEY with the old one in JWT_ACCEPTED_KEYS (docs/operations.md, "Rotating the signing key").',
        );
      }
      const retired = rotateSigningKey(config.dataDir);
      if (!retired) throw new Refused(`${config.dataDir} holds no signing key yet: the first start makes one.`);
      console.log(
        `A new signing key is in ${config.dataDir}; the old one is kept in ${retired}.\n` +
          'Restart Crewdesk to sign with it. Nobody is signed out: access tokens of the old key verify until they expire, ' +
          'and sessions carry on.',
      );
      return EXIT.ok;
    },
  },
};

commands.backup = {
  synopsis: '[--to DIR | --to s3://bucket/prefix]',
  summary:
    'one archive of the database and the uploaded files (named by date, version and schema version) in --to, ' +
    'BACKUP_S3_URL or BACKUP_DIR; keeps the newest BACKUP_KEEP there',
  options: { to: { type: 'string' } },
  async offline(values, config) {
    const destination = (values.to as string | undefined) ?? config.backup.s3Url ?? config.backup.dir;
    if (!destination)
      throw new UsageError('backup needs --to DIR or --to s3://bucket/prefix (or BACKUP_DIR / BACKUP_S3_URL).');
    if (destination.startsWith('s3:') && !S3_URL.test(destination)) {
      throw new UsageError(`backup: --to ${destination} is not s3://bucket or s3://bucket/prefix.`);
    }
    const connection = await openConnection(
      { url: config.database.directUrl ?? config.database.url, dataDir: config.dataDir, purpose: 'backup' },
      quiet(),
    );
    try {
      const result = await runBackup({
        client: connection.client,
        engine: connection.engine,
        version,
        uploadsDir: config.uploads.path,
        store: openStore(destination, config.backup.s3),
        keep: config.backup.keep,
      });
      const { manifest } = result;
      const rows = manifest.tables.reduce((sum, table) => sum + table.rows, 0);
      console.log(
        `Backup written: ${result.location}\n` +
          `  ${manifest.engine} (PostgreSQL ${manifest.server}, through ${connection.via}), schema version ${manifest.schema.version}: ` +
          `${manifest.tables.length} tables, ${rows} rows; ${manifest.uploads.files} uploaded files; ` +
          `${result.bytes} bytes in ${result.ms} ms` +
          (result.removed.length
            ? `\n  Retention (BACKUP_KEEP=${config.backup.keep}) removed: ${result.removed.join(', ')}`
            : ''),
      );
      return EXIT.ok;
    } finally {
      await connection.close();
    }
  },
};

commands.restore = {
  synopsis: 'FILE|s3://bucket/key [--force]',
  summary:
    'replace the database and the uploaded files with a backup; refuses a database holding data without --force, ' +
    'runs the migrations since the backup; all or nothing',
  options: { force: { type: 'boolean' } },
  positional: 'from',
  async offline(values, config) {
    const from = values.from as string | undefined;
    if (!from) throw new UsageError('restore needs the backup to restore: a file or s3://bucket/key.');
    if (from.startsWith('s3:') && !S3_URL.test(from)) throw new UsageError(`restore: ${from} is not s3://bucket/key.`);
    if (!from.startsWith('s3:') && !existsSync(from)) throw new Refused(`restore: ${from}: no such file.`);
    const connection = await openConnection(
      { url: config.database.directUrl ?? config.database.url, dataDir: config.dataDir, purpose: 'restore' },
      quiet(),
    );
    try {
      const result = await runRestore({
        client: connection.client,
        from,
        s3: config.backup.s3,
        uploadsDir: config.uploads.path,
        force: Boolean(values.force),
      });
      const { manifest } = result;
      const rows = manifest.tables.reduce((sum, table) => sum + table.rows, 0);
      console.log(
        `Restored ${from} into ${connection.engine}: the backup of ${manifest.createdAt} (Crewdesk ${manifest.crewdesk}, ` +
          `${manifest.engine}, schema version ${manifest.schema.version}).\n` +
          `  ${manifest.tables.length} tables, ${rows} rows, every table's checksum matches the backup's; ` +
          `${manifest.uploads.files} uploaded files; ${result.ms} ms` +
          (result.migratedFrom !== null
            ? `\n  Migrated forward from schema version ${result.migratedFrom} to ${result.schemaVersion}.`
            : ''),
      );
      return EXIT.ok;
    } catch (err) {
      if (
        err instanceof BackupRefused ||
        err instanceof ArchiveError ||
        err instanceof BackupBusy ||
        err instanceof UploadsNotRestored
      )
        throw err;
      throw new Error(
        `Restore failed, and nothing was changed (the database is as it was): ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    } finally {
      await connection.close();
    }
  },
};

const usage = `Usage: npm run cli -- <command> [options]
       (a release: npm run cli:prod -- <command> [options])

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${`${name} ${c.synopsis}`.trimEnd()}\n      ${c.summary}`)
  .join('\n')}

Options:
  -h, --help       this help (after a command: the same)
  -V, --version    print the version

Configuration comes from the environment, as for the server (DATA_DIR, DATABASE_URL, …).
Exit status: 0 done, 64 wrong usage, 65 input refused, 67 no such account,
75 busy (another backup or restore is running), 1 anything else.`;

/** The command nearest to a mistyped one (edit distance ≤ 3), for the hint. */
function nearest(typed: string): string | null {
  const best = closest(typed, Object.keys(commands));
  return distance(typed, best) <= 3 ? best : null;
}

function usageError(message: string): number {
  console.error(`${message}\nRun "npm run cli -- --help" for the commands and their options.`);
  return EXIT.usage;
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    console.log(usage);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '-V' || first === '--version') {
    console.log(version);
    return EXIT.ok;
  }
  const command = Object.hasOwn(commands, first) ? commands[first] : undefined;
  if (!command) {
    if (first.startsWith('-')) return usageError(`Unknown option "${first}".`);
    const hint = nearest(first);
    return usageError(`Unknown command "${first}".${hint ? ` Did you mean "${hint}"?` : ''}`);
  }
  let values: Values;
  try {
    let positionals: string[];
    ({ values, positionals } = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: Boolean(command.positional),
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
    }));
    if (positionals.length > 1)
      return usageError(`${first} takes one ${command.synopsis.split(' ')[0]}, not ${positionals.length}.`);
    if (command.positional) values[command.positional] = positionals[0];
  } catch (err) {
    return usageError(`${first}: ${(err as Error).message}`);
  }
  if (values.help) {
    console.log(usage);
    return EXIT.ok;
  }
  const missing = (command.required ?? []).filter((name) => values[name] === undefined);
  if (missing.length) return usageError(`${first} needs ${missing.map((name) => `--${name}`).join(' and ')}.`);

  const config = loadConfig();
  try {
    if (command.offline) return await command.offline(values, config);
    const database = await openDatabase({ ...config.database, dataDir: config.dataDir }, pino({ level: 'warn' }));
    try {
      await database.migrate();
      return await command.run!(values, { database, config });
    } finally {
      await database.close();
    }
  } catch (err) {
    if (err instanceof UsageError) return usageError(err.message);
    if (err instanceof BackupBusy) {
      console.error(err.message);
      return EXIT.busy;
    }
    if (err instanceof Refused || err instanceof BackupRefused || err instanceof ArchiveError) {
      console.error(err.message);
      return EXIT.refused;
    }
    if (err instanceof AppError) {
      console.error(
        `${err.message}${err.extra.errors ? `: ${err.extra.errors.map((e) => `${e.path} ${e.message}`).join('; ')}` : ''}`,
      );
      return EXIT.refused;
    }
    throw err;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exitCode = EXIT.failure;
}
