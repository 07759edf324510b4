import { errorCodes } from '../../shared/errors.js';

/**
 * The error answers every route shares, as `components.responses`: each is what the errors plugin
 * sends for that status (application/problem+json, a Problem), with the headers that come with it.
 */

const retryAfter = {
  description: 'Seconds to wait before trying again',
  schema: { type: 'integer', minimum: 1 },
};
const rateLimitHeader = (description: string) => ({ description, schema: { type: 'integer', minimum: 0 } });

const shared = {
  400: {
    name: 'BadRequest',
    description:
      'The request is not valid: a parameter or a body field fails validation (`errors` names each), or the body is not valid JSON',
  },
  401: {
    name: 'Unauthorized',
    description:
      'No valid credentials: the access token (or, on refresh, the cookie) is missing, invalid or expired, or its session has ended',
  },
  403: { name: 'Forbidden', description: 'Your role does not allow this' },
  404: { name: 'NotFound', description: 'No such resource, or it is not yours: both answer the same' },
  409: { name: 'Conflict', description: 'The request conflicts with the current state (`detail` says how)' },
  413: {
    name: 'PayloadTooLarge',
    description: 'The body is larger than the limit: 1 MiB for JSON, MAX_UPLOAD_BYTES for a lead list',
  },
  415: {
    name: 'UnsupportedMediaType',
    description: 'The body is not of an accepted type: JSON (application/json), or multipart/form-data for an upload',
  },
  422: {
    name: 'UnprocessableContent',
    description: 'This Idempotency-Key was already used with a different request; send a new key',
  },
  429: {
    name: 'TooManyRequests',
    description: 'Too many requests from you (or, on sign-in routes, from your address); wait Retry-After seconds',
    headers: {
      'Retry-After': retryAfter,
      'RateLimit-Limit': rateLimitHeader('Requests allowed in the window (the per-request limit only)'),
      'RateLimit-Remaining': rateLimitHeader('Requests left in the window'),
      'RateLimit-Reset': rateLimitHeader('Seconds until the window resets'),
    },
  },
  500: { name: 'InternalError', description: 'The server failed; the details are in its logs, never in the answer' },
  503: {
    name: 'ServiceUnavailable',
    // Fastify answers a request pipelined behind one in flight when close began by itself, in bare
    // JSON (return503OnClosing); every answer sent once shutdown begins closes its connection, so
    // nothing else reaches that path.
    description:
      'The server is overloaded or a dependency (the database) is unavailable; try again after Retry-After seconds. ' +
      'A request pipelined on a connection while the replica closes may instead get Fastify’s own application/json 503.',
    headers: { 'Retry-After': retryAfter },
  },
} as const satisfies Record<number, { name: string; description: string; headers?: object }>;

export type SharedStatus = keyof typeof shared;
const REF_PREFIX = '#/components/responses/';

// Every status a domain error can carry has its shared answer, but those Fastify answers before any
// route is chosen (408, a request too slow to arrive; 414, a path segment too long; 431, headers too
// large), which belong to no operation.
const BEFORE_ROUTING = new Set<number>([408, 414, 431]);
for (const { status } of Object.values(errorCodes)) {
  if (!BEFORE_ROUTING.has(status) && !(status in shared))
    throw new Error(`no shared OpenAPI response for status ${status}`);
}

/**
 * What the per-route transform puts in a route's response map for a shared answer. @fastify/swagger
 * keeps only a response's description, so the reference travels there; the document transform
 * turns it into `{ $ref }`.
 */
export function sharedResponseRef(status: number) {
  const entry = shared[status as SharedStatus];
  if (!entry) throw new Error(`no shared OpenAPI response for status ${status}`);
  return { type: 'null', description: `${REF_PREFIX}${entry.name}` };
}

/** A response object that stands for a shared answer, or null. */
export function sharedRefOf(response: unknown): string | null {
  const description = (response as { description?: unknown } | null)?.description;
  return typeof description === 'string' && description.startsWith(REF_PREFIX) && !('content' in (response as object))
    ? description
    : null;
}

/** `components.responses`: one per shared status. */
export function sharedResponses(problemRef: string) {
  return Object.fromEntries(
    Object.values(shared).map((entry) => [
      entry.name,
      {
        description: entry.description,
        ...('headers' in entry ? { headers: entry.headers } : {}),
        content: { 'application/problem+json': { schema: { $ref: problemRef } } },
      },
    ]),
  );
}
