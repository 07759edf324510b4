import pg from 'pg';

/**
 * A node-postgres client that never sends a named statement: a query config's `name` is dropped,
 * so the query goes out as the unnamed statement (Parse, Bind, Execute in one round trip), which
 * any pooler passes through. Every place that names a statement (Drizzle's `.prepare(name)`, a
 * `{ name, text }` config) goes through `query`, so this one class honours
 * DATABASE_PREPARED_STATEMENTS=false for all of them, including ones written later.
 */
export class UnnamedStatementsClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [config, ...rest] = args;
    const named =
      typeof config === 'object' &&
      config !== null &&
      // A submittable (a COPY stream, a cursor) is passed on untouched.
      typeof (config as { submit?: unknown }).submit !== 'function' &&
      (config as { name?: unknown }).name !== undefined;
    if (named) {
      const { name: _dropped, ...unnamed } = config as { name?: string };
      return (super.query as (...a: unknown[]) => never)(unnamed, ...rest);
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}
