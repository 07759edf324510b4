// The image's entry point (under tini): `serve` (the default command) starts the API; `migrate`,
// `create-admin …` and any other word are CLI commands, which run and exit. Both load in this
// process, so tini's SIGTERM reaches the server itself.
const [command = 'serve'] = process.argv.slice(2);

if (command === 'serve') await import('../../apps/api/dist/server.js');
else await import('../../apps/api/dist/cli.js'); // reads its command from process.argv too
