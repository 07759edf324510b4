import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createUserBody } from '@crewdesk/contracts';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './infra/db/client.js';
import { UsersService } from './modules/users/index.js';
import { AppError } from './shared/errors.js';
import { recordEvents } from './infra/events/events.js';

const usage = `Usage: npm run cli -- <command>

Commands:
  migrate                      apply database migrations (also done at every start)
  create-admin --email E --name N [--password P]
                               create an admin; asks for the password when it is not given
`;

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      password: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return command ? 0 : 64;
  }
  const config = loadConfig();
  const log = pino({ level: 'warn' });
  const database = await openDatabase({ ...config.database, dataDir: config.dataDir }, log);
  try {
    await database.migrate();
    if (command === 'migrate') {
      console.log(`Migrations applied (${database.kind}).`);
      return 0;
    }
    if (command === 'create-admin') {
      const password = values.password ?? (await ask('Password for the new admin: '));
      const input = createUserBody.safeParse({
        email: values.email,
        name: values.name ?? 'Administrator',
        password,
        role: 'admin',
      });
      if (!input.success) {
        for (const issue of input.error.issues) console.error(`${issue.path.join('.')}: ${issue.message}`);
        return 65;
      }
      const service = new UsersService({
        db: database.db,
        defaultPhoneRegion: config.defaultPhoneRegion,
        // Events land in the outbox; a running server's relay publishes them.
        events: { record: recordEvents, committed: () => {} },
        // Creates only: a new account has no sessions to end.
        sessions: { endAllForUser: async () => [], announce: async () => {} },
      });
      const user = await service.createAccount(input.data);
      console.log(`Created admin ${user.email} (${user.id}).`);
      return 0;
    }
    console.error(`Unknown command "${command}".\n\n${usage}`);
    return 64;
  } catch (err) {
    if (err instanceof AppError) {
      console.error(
        `${err.message}${err.extra.errors ? `: ${err.extra.errors.map((e) => `${e.path} ${e.message}`).join('; ')}` : ''}`,
      );
      return 65;
    }
    throw err;
  } finally {
    await database.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exitCode = 1;
}
