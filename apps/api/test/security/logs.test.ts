import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { testDatabase } from '../database.js';
import { sql } from 'drizzle-orm';
import { createUser, testConfig, uniqueEmail } from '../helper.js';

/** An app whose log lines (JSON) are kept for the test to read. */
async function appWithLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const app = await buildApp({
    config: testConfig({ LOG_LEVEL: 'info' }),
    database: await testDatabase(),
    logStream: stream,
  });
  await app.ready();
  return { app, lines };
}

describe('logs', () => {
  let app: FastifyInstance;
  let lines: Record<string, unknown>[];
  beforeAll(async () => ({ app, lines } = await appWithLogs()));
  afterAll(() => app.close());

  it('access log lines of signed-in requests carry the user id', async () => {
    const user = await createUser(app);
    lines.length = 0;
    const res = await app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth });
    expect(res.statusCode).toBe(200);
    const completed = lines.find((l) => l.msg === 'request completed');
    expect(completed).toMatchObject({ userId: user.id });
  });

  it('redacts the one-time setup token from the URLs it logs', async () => {
    lines.length = 0;
    await app.inject({ method: 'GET', url: '/setup?token=s3cr3t-setup-token&x=1' });
    const text = JSON.stringify(lines);
    expect(text).toContain('/setup?token=[redacted]&x=1');
    expect(text).not.toContain('s3cr3t-setup-token');
  });

  it('never logs a failed query’s parameters (an email, a password hash)', async () => {
    const email = uniqueEmail('leak');
    // A failed insert of the values a sign-up writes, logged as the error handler logs a 500.
    const err = await app.database.db
      .execute(
        // A text value into a uuid column fails in the database with the values as parameters.
        sql`insert into users (id, email, name, password_hash, role) values (${email}, ${email}, 'x', ${'$argon2id$v=19$m=19456,t=2,p=1$leakedhash'}, 'member')`,
      )
      .catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    lines.length = 0;
    app.log.error({ err }, 'request failed');
    const text = JSON.stringify(lines);
    expect(lines.length).toBe(1);
    expect(text).not.toContain(email);
    expect(text).not.toContain('leakedhash');
    expect(text).toContain('insert into');
  });
});
