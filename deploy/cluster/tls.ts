import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A self-signed certificate for the local gateway (P-256, for 127.0.0.1 and localhost, 30 days),
 * made once per cluster directory with Debian's openssl. Clients trust it by its file
 * (NODE_EXTRA_CA_CERTS, curl --cacert), never by turning verification off.
 */
export function ensureCertificate(dir: string): { certificate: string; key: string } {
  const tls = join(dir, 'tls');
  const certificate = join(tls, 'gateway.crt');
  const key = join(tls, 'gateway.key');
  if (existsSync(certificate) && existsSync(key)) return { certificate, key };
  mkdirSync(tls, { recursive: true, mode: 0o700 });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      key,
      '-out',
      certificate,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { certificate, key };
}
