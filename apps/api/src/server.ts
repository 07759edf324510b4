import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { DatabaseLockedError } from './infra/db/client.js';
import { unsupportedNodeWarning } from './node-support.js';

const SHUTDOWN_GRACE_MS = 10_000;

async function main() {
  const started = performance.now();
  const nodeWarning = unsupportedNodeWarning();
  if (nodeWarning) console.warn(`\n  Warning: ${nodeWarning}\n`);
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }

  let app;
  try {
    app = await buildApp({ config });
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    if (err instanceof DatabaseLockedError) {
      console.error(err.message);
      process.exit(75); // EX_TEMPFAIL
    }
    throw err;
  }

  const host = ['0.0.0.0', '::', '127.0.0.1'].includes(config.host) ? 'localhost' : config.host;
  const base = `http://${host}:${(app.server.address() as { port: number }).port}`;
  app.log.info(
    { url: base, ms: Math.round(performance.now() - started), database: app.database.engine },
    'Crewdesk is ready',
  );
  if (app.setupToken) {
    // Printed plainly so it is easy to copy from a terminal; it is the only way in until an admin exists.
    console.log(
      `\n  Crewdesk has no admin yet. Create one here (link works once):\n\n    ${base}/setup?token=${app.setupToken}\n`,
    );
  }

  closeWithGrace({ delay: SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) {
      app.log.error({ err }, 'shutting down after an error');
      app.telemetry.captureException(err); // sent by the close below
    } else app.log.info({ signal }, 'shutting down');
    app.shuttingDown = true;
    // Readiness now fails; give the gateway time to stop routing here before the listener closes.
    if (config.shutdownDrainMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDrainMs));
    // Stops accepting, lets in-flight requests finish, then runs onClose hooks (database last).
    await app.close();
  });
}

await main();
