import type { Socket } from 'node:net';
import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { isDatabaseUnavailable } from '../../shared/db-errors.js';
import { AppError, errorCodes, type ErrorCode, type FieldError } from '../../shared/errors.js';

const where: Record<string, string> = {
  body: 'Request body',
  querystring: 'Query parameter',
  params: 'Path parameter',
  headers: 'Header',
};

function problemOf(code: ErrorCode, detail?: string, errors?: FieldError[]) {
  const { status, title } = errorCodes[code];
  return { type: `urn:crewdesk:problem:${code.replaceAll('_', '-')}`, title, status, detail, errors };
}

export function sendProblem(
  reply: FastifyReply,
  code: ErrorCode,
  detail?: string,
  extra: { errors?: FieldError[]; retryAfterSeconds?: number } = {},
) {
  if (extra.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(extra.retryAfterSeconds))));
  return reply
    .code(errorCodes[code].status)
    .type('application/problem+json')
    .serializer(JSON.stringify)
    .send(problemOf(code, detail, extra.errors));
}

/** Flatten zod issues into one entry per field; unknown keys become one entry each. */
function fieldErrors(err: FastifyError & { validation: unknown[] }): FieldError[] {
  const out: FieldError[] = [];
  for (const v of err.validation as {
    keyword?: string;
    instancePath?: string;
    message?: string;
    params?: { keys?: string[]; issue?: { code?: string; keys?: string[]; path?: PropertyKey[] } };
  }[]) {
    // fastify-type-provider-zod 7 spreads the zod issue into params (code in keyword, path in instancePath).
    const issue = v.params?.issue;
    const code = issue?.code ?? v.keyword;
    const keys = issue?.keys ?? v.params?.keys;
    const base = issue?.path
      ? issue.path.map(String).join('.')
      : (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
    if (code === 'unrecognized_keys' && keys) {
      for (const key of keys) out.push({ path: base ? `${base}.${key}` : key, message: 'Unknown field' });
    } else {
      out.push({
        path: base || (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.'),
        message: v.message ?? 'Invalid value',
      });
    }
  }
  return out;
}

/**
 * What Fastify refuses before a request reaches any route, and so before the error handler: a
 * URL whose percent-encoding does not decode, a path parameter longer than maxParamLength, an
 * async route constraint that failed. Fastify answers these with its own JSON unless it is given
 * this as its `frameworkErrors` option (app.ts), which makes them problems like every other error.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  switch (err.code) {
    case 'FST_ERR_BAD_URL':
      return sendProblem(reply, 'bad_request', 'The URL is not valid (a percent-encoding does not decode)');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return sendProblem(reply, 'uri_too_long', 'A path segment of the URL is too long');
  }
  request.log.error({ err }, 'request failed before routing');
  return sendProblem(reply, 'internal', 'The server could not complete the request');
}

/**
 * What Node's HTTP parser refuses before Fastify sees a request (a malformed request line or
 * header, headers over the size limit, a request that took too long to arrive), written straight to
 * the socket, which is then closed. Given to Fastify({ clientErrorHandler }) (app.ts) so that these
 * too are problems rather than Fastify's own JSON.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket) {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, detail]: [ErrorCode, string] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['request_timeout', 'The request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? ['headers_too_large', 'The request headers are larger than the server accepts']
        : ['bad_request', 'The request is not valid HTTP'];
  const body = JSON.stringify(problemOf(code, detail));
  const { status, title } = errorCodes[code];
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

export default fp(
  async (app) => {
    // A failure the server caused (never a client's mistake or an unavailable dependency) goes to
    // the error tracker too, when one is configured.
    const report = (err: unknown, request: FastifyRequest) =>
      app.telemetry.captureException(err, {
        requestId: request.id,
        method: request.method,
        route: request.routeOptions.url,
        userId: request.actor?.id,
      });

    app.setErrorHandler((err: FastifyError, request, reply) => {
      if (err instanceof AppError) {
        if (err.code === 'internal') {
          request.log.error({ err }, 'request failed');
          report(err, request);
        }
        return sendProblem(reply, err.code, err.message, err.extra);
      }
      if (hasZodFastifySchemaValidationErrors(err)) {
        const context = where[err.validationContext ?? 'body'] ?? 'Request';
        return sendProblem(reply, 'validation', `${context} is invalid`, { errors: fieldErrors(err) });
      }
      if (isResponseSerializationError(err)) {
        request.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
        report(err, request);
        return sendProblem(reply, 'internal', 'The server could not complete the request');
      }
      switch (err.code) {
        case 'FST_ERR_CTP_BODY_TOO_LARGE':
          return sendProblem(reply, 'payload_too_large', 'The request body is too large');
        case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
          return sendProblem(reply, 'unsupported_media_type', 'Send JSON (Content-Type: application/json)');
        case 'FST_ERR_CTP_INVALID_JSON_BODY':
        case 'FST_ERR_CTP_EMPTY_JSON_BODY':
          return sendProblem(reply, 'bad_request', 'The request body is not valid JSON');
      }
      const status = err.statusCode ?? 500;
      if (status === 429)
        return sendProblem(reply, 'rate_limited', err.message, {
          retryAfterSeconds: Number(reply.getHeader('retry-after') ?? 60),
        });
      if (status === 503) return sendProblem(reply, 'unavailable', err.message);
      if (status >= 400 && status < 500) {
        const code =
          (Object.keys(errorCodes) as ErrorCode[]).find((c) => errorCodes[c].status === status) ?? 'bad_request';
        return sendProblem(reply, code, err.message);
      }
      if (isDatabaseUnavailable(err)) {
        request.log.warn({ err }, 'database unavailable');
        return sendProblem(reply, 'unavailable', 'The database is unavailable; try again shortly', {
          retryAfterSeconds: 5,
        });
      }
      request.log.error({ err }, 'unhandled error');
      report(err, request);
      return sendProblem(reply, 'internal', 'The server could not complete the request');
    });

    app.setNotFoundHandler((request, reply) =>
      sendProblem(reply, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}`),
    );
  },
  { name: 'errors', dependencies: ['telemetry'] },
);
