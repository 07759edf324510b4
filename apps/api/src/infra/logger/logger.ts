import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import { stdSerializers, type DestinationStream } from 'pino';
import type { Config } from '../../config.js';
import { scrubMessage } from '../telemetry/telemetry.js';

const REQUEST_ID = /^[\w.:-]{1,64}$/;
/** Query-string values that are secrets: the one-time setup link's token (and any other `token`). */
const SECRET_QUERY = /([?&](?:token|access_token|refresh_token)=)[^&#]*/gi;

/** Reuse the gateway's request id when it is sane, so one id follows a request across services. */
export function genReqId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export const redactUrl = (url: string) => url.replace(SECRET_QUERY, '$1[redacted]');

/** What a database error may say about itself: its SQLSTATE and where, never the values. */
function describeCause(cause: unknown) {
  if (!(cause instanceof Error)) return undefined;
  const { code, constraint, table, column, routine } = cause as Error & Record<string, unknown>;
  return { type: cause.name, code, constraint, table, column, routine };
}

/**
 * Errors as pino writes them, without the values a failed query was given: drizzle puts them in
 * `params` and appends them to the message (emails, phones, names, password hashes), and the
 * database's own message can quote one (`invalid input syntax for type uuid: "…"`), so a cause is
 * described by its code and place only.
 */
function serializeError(err: Error) {
  const out = stdSerializers.err(err) as ReturnType<typeof stdSerializers.err> & Record<string, unknown>;
  delete out.params;
  out.message = scrubMessage(err.message);
  if (typeof out.stack === 'string') {
    out.stack = (err.stack ?? '').replace(/\nparams:[^\n]*/g, '\nparams: [redacted]');
  }
  if (err.cause !== undefined) (out as Record<string, unknown>).cause = describeCause(err.cause);
  return out;
}

export function loggerOptions(config: Config, stream?: DestinationStream): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    ...(stream ? { stream } : {}),
    serializers: {
      err: serializeError,
      req: (req: {
        method: string;
        url: string;
        hostname?: string;
        ip?: string;
        socket?: { remotePort?: number };
      }) => ({
        method: req.method,
        url: redactUrl(req.url),
        host: req.hostname,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.currentPassword',
        '*.newPassword',
        '*.passwordHash',
        '*.token',
        '*.accessToken',
        '*.refreshToken',
      ],
      censor: '[redacted]',
    },
  };
}
