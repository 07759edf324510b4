import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { NGINX } from './gateway.js';

const onPath = (command: string) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));

const postgresInstalled = () => {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'pg_ctl'));
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((version) => existsSync(join(root, version, 'bin', 'pg_ctl')));
};

/** Debian's package for each program the cluster runs, and how to tell it is installed. */
const PACKAGES: readonly { name: string; installed: () => boolean }[] = [
  { name: 'postgresql', installed: postgresInstalled },
  { name: 'pgbouncer', installed: () => existsSync('/usr/sbin/pgbouncer') },
  { name: 'redis-server', installed: () => onPath('redis-server') },
  {
    name: 'rabbitmq-server',
    installed: () => existsSync(join(process.env.RABBITMQ_BIN ?? '/usr/lib/rabbitmq/bin', 'rabbitmq-server')),
  },
  { name: 'nginx', installed: () => existsSync(NGINX) },
  { name: 'openssl', installed: () => onPath('openssl') },
];

/** The Debian packages that are missing (empty when everything is there). */
export function missingPackages(): string[] {
  return PACKAGES.filter((pkg) => !pkg.installed()).map((pkg) => pkg.name);
}
