/**
 * The deployments the gateway is rendered for: production compose (service names on the compose
 * network, files where the nginx container has them) and the local cluster (loopback ports, files
 * under the cluster's directory).
 */
import { join } from 'node:path';
import { SERVICES, type ServiceName } from '../routes.js';
import type { Backends, GatewayDeployment } from './render.js';

/** The port every API process listens on inside the compose network (config.ts's PORT default). */
export const COMPOSE_API_PORT = 3000;
/** Unprivileged ports inside the nginx container (cap_drop: ALL); compose publishes 443 and 80 onto them. */
export const COMPOSE_HTTPS_PORT = 8443;
export const COMPOSE_HTTP_PORT = 8080;
/** The API's MAX_UPLOAD_BYTES default (apps/api/src/config.ts). */
export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

export interface ComposeOptions {
  split?: boolean;
  maxUploadBytes?: number;
  /** Host names of the API services (defaults: `api`, or `auth`, `tasks`, `agents`, `leads`). */
  hosts?: Partial<Record<ServiceName | 'api', string>>;
  /** Paths inside the nginx container. */
  certificate?: string;
  key?: string;
  webRoot?: string;
  temp?: string;
  pid?: string;
  mimeTypes?: string;
}

/**
 * Production compose: `api` (with `deploy.replicas`; nginx resolves the name to every replica's
 * address when it starts or reloads) or one service per split service. Certificate and key are
 * compose secrets; the web app's files are mounted at webRoot; logs go to the container's output.
 */
export function composeDeployment(options: ComposeOptions = {}): GatewayDeployment {
  const host = (name: ServiceName | 'api') => `${options.hosts?.[name] ?? name}:${COMPOSE_API_PORT}`;
  const backends: Backends = options.split
    ? {
        kind: 'split',
        servers: Object.fromEntries(SERVICES.map((service) => [service, [host(service)]])) as Record<
          ServiceName,
          string[]
        >,
      }
    : { kind: 'monolith', servers: [host('api')] };
  return {
    name: options.split ? 'production compose, split services' : 'production compose',
    backends,
    listen: { https: [String(COMPOSE_HTTPS_PORT)], http: [String(COMPOSE_HTTP_PORT)] },
    httpRedirect: true,
    serverName: '_',
    tls: {
      certificate: options.certificate ?? '/run/secrets/gateway_tls_cert',
      key: options.key ?? '/run/secrets/gateway_tls_key',
    },
    webRoot: options.webRoot ?? '/usr/share/nginx/html',
    maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    paths: {
      pid: options.pid ?? '/tmp/nginx.pid',
      errorLog: 'stderr',
      accessLog: '/dev/stdout',
      temp: options.temp ?? '/tmp',
      mimeTypes: options.mimeTypes ?? '/etc/nginx/mime.types',
    },
  };
}

export interface LocalOptions {
  /** The cluster's nginx directory (its prefix): config, pid, logs, temp files and certificate. */
  dir: string;
  backends: Backends;
  down?: ReadonlySet<string>;
  httpsPort: number;
  httpPort: number;
  webRoot: string;
  maxUploadBytes: number;
  /** Where the workers write request bodies and large answers (default: DIR/tmp). */
  temp?: string;
}

/** `npm run cluster`: loopback listeners, and the plain one serves too (no redirect), for tools without the certificate. */
export function localDeployment(options: LocalOptions): GatewayDeployment {
  return {
    name: 'local cluster',
    backends: options.backends,
    down: options.down,
    listen: { https: [`127.0.0.1:${options.httpsPort}`], http: [`127.0.0.1:${options.httpPort}`] },
    httpRedirect: false,
    serverName: 'localhost',
    tls: { certificate: join(options.dir, 'tls', 'gateway.crt'), key: join(options.dir, 'tls', 'gateway.key') },
    webRoot: options.webRoot,
    maxUploadBytes: options.maxUploadBytes,
    paths: {
      pid: join(options.dir, 'nginx.pid'),
      errorLog: join(options.dir, 'error.log'),
      accessLog: join(options.dir, 'access.log'),
      temp: options.temp ?? join(options.dir, 'tmp'),
      mimeTypes: '/etc/nginx/mime.types',
    },
    workers: 2,
  };
}
