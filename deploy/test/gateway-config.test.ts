import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { composeDeployment, localDeployment } from '../nginx/deployments.js';
import { renderGateway, type GatewayDeployment } from '../nginx/render.js';
import { NGINX } from '../cluster/gateway.js';
import { ensureCertificate } from '../cluster/tls.js';
import { ROOT } from '../cluster/release.js';

const work = mkdtempSync(join(tmpdir(), 'crewdesk-nginx-t-'));
const cert = ensureCertificate(work);

/** `nginx -t` on a rendered config, as Debian's nginx 1.22 reads it. */
function nginxTest(name: string, config: string): { status: number | null; output: string } {
  const dir = join(work, name);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, config);
  // A file for stdout: the compose config logs to /dev/stdout, which cannot be opened on the
  // socket a child process gets from Node by default (in a container it is a pipe or a tty).
  const stdout = openSync(join(dir, 'stdout.log'), 'w');
  const result = spawnSync(NGINX, ['-t', '-p', dir, '-c', file, '-e', join(dir, 'error.log')], {
    encoding: 'utf8',
    stdio: ['ignore', stdout, 'pipe'],
  });
  closeSync(stdout);
  return { status: result.status, output: result.stderr };
}

/**
 * Every config the renderer makes passes `nginx -t`. The compose ones are tested with their
 * service names pointed at loopback and their container paths at a temporary directory (nginx -t
 * resolves every upstream name and opens the certificate); the names themselves are the compose
 * file's business (deploy/UNVERIFIED.md).
 */
describe('the rendered gateway configs pass nginx -t (Debian’s nginx)', () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const compose = (split: boolean): GatewayDeployment => {
    const hosts = { api: '127.0.0.1', auth: '127.0.0.1', tasks: '127.0.0.1', agents: '127.0.0.1', leads: '127.0.0.1' };
    const temp = join(work, split ? 'compose-split' : 'compose', 'tmp');
    return composeDeployment({
      split,
      hosts,
      certificate: cert.certificate,
      key: cert.key,
      webRoot: join(ROOT, 'apps/web/dist'),
      temp,
      pid: join(temp, 'nginx.pid'),
    });
  };
  const local = (split: boolean): GatewayDeployment => {
    const dir = join(work, split ? 'local-split' : 'local');
    ensureCertificate(dir);
    return localDeployment({
      dir,
      backends: split
        ? {
            kind: 'split',
            servers: {
              auth: ['127.0.0.1:4101', '127.0.0.1:4102'],
              tasks: ['127.0.0.1:4103', '127.0.0.1:4104'],
              agents: ['127.0.0.1:4105', '127.0.0.1:4106'],
              leads: ['127.0.0.1:4107', '127.0.0.1:4108'],
            },
          }
        : { kind: 'monolith', servers: ['127.0.0.1:4001', '127.0.0.1:4002', '127.0.0.1:4003'] },
      down: new Set(['127.0.0.1:4002']),
      httpsPort: 18443,
      httpPort: 18080,
      webRoot: join(ROOT, 'apps/web/dist'),
      maxUploadBytes: 10 * 1024 * 1024,
    });
  };

  it.each([
    ['compose', compose(false)],
    ['compose-split', compose(true)],
    ['local', local(false)],
    ['local-split', local(true)],
  ])('%s', (name, deployment) => {
    const { status, output } = nginxTest(name, renderGateway(deployment));
    expect(output).toContain('test is successful');
    expect(status, output).toBe(0);
  });
});

describe('npm run cluster without a Debian package it needs', () => {
  it('names the package and the apt-get line, and exits non-zero before starting anything', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'deploy/cluster/cluster.ts', '--dir', join(work, 'x')],
      {
        cwd: ROOT,
        env: { ...process.env, NGINX_BIN: '/nonexistent/nginx' },
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(69);
    expect(result.stderr).toContain('apt-get install -y nginx');
  });
});
