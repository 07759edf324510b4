import type { FastifyInstance, RouteOptions } from 'fastify';
import type { SwaggerTransform } from '@fastify/swagger';
import { createJsonSchemaTransform } from 'fastify-type-provider-zod';
import { sharedResponseRef, type SharedStatus } from './responses.js';

type JsonSchema = Record<string, unknown>;
type Transformed = { schema: Record<string, unknown>; url: string };

const PROBLEM_REF = '#/components/schemas/Problem';
/** Probes and scrapes are never shed under pressure nor rate limited (resilience, health). */
const OPS_PATH = /^\/(health|metrics|livez|readyz|healthz)(\/|$)/;
const BODYLESS = new Set(['GET', 'HEAD']);

const hooksOf = (route: RouteOptions) => [route.onRequest ?? []].flat() as unknown[];

/**
 * Which error statuses the shared plugins can answer on this route, read from the route itself:
 * its hooks (authentication, roles), its config (rate limit) and what it takes as input.
 */
export function sharedStatuses(app: FastifyInstance, route: RouteOptions, schema: Record<string, unknown>) {
  const method = [route.method].flat()[0] as string;
  const hooks = hooksOf(route);
  const takesInput = ['querystring', 'params', 'headers', 'body', 'multipartBody'].some((k) => schema[k]);
  const statuses: SharedStatus[] = [];
  // Validation of any input; a body that is not valid JSON (errors plugin).
  if (takesInput || !BODYLESS.has(method)) statuses.push(400);
  if (hooks.includes(app.authenticate)) statuses.push(401);
  // Every role check is made by app.requireRole(...), whose hooks carry its name.
  if (hooks.some((h) => typeof h === 'function' && h.name === 'requireRole')) statuses.push(403);
  // Fastify parses a body on every method but GET and HEAD, whatever the route declares.
  if (!BODYLESS.has(method)) statuses.push(413, 415);
  // A create with an Idempotency-Key: a first answer still being made (409), another body (422).
  if (route.config?.idempotent) statuses.push(409, 422);
  const rateLimit = (route.config as { rateLimit?: unknown } | undefined)?.rateLimit;
  if (rateLimit !== false) statuses.push(429);
  statuses.push(500);
  // under-pressure sheds load, and an unavailable database answers 503, everywhere but the probes.
  if (!OPS_PATH.test(route.url)) statuses.push(503);
  return statuses;
}

const isProblem = (schema: unknown) => (schema as JsonSchema | undefined)?.$ref === PROBLEM_REF;

/**
 * The per-route transform: zod to JSON Schema (fastify-type-provider-zod), then the shared error
 * answers. Every answer whose schema is Problem becomes a reference to the shared response of its
 * status (application/problem+json, with its headers), and the statuses the shared plugins can
 * produce are added where they apply.
 */
export function operationTransform(app: FastifyInstance): SwaggerTransform {
  const zodTransform = createJsonSchemaTransform({ skipList: [] });
  return (input) => {
    const out = zodTransform(input) as Transformed;
    // Routes without a schema are untagged, so hidden (hideUntagged).
    if (!out.schema || out.schema.hide) return out;
    const schema = { ...out.schema };
    const { multipartBody } = input.schema as { multipartBody?: unknown };
    if (multipartBody) {
      // Reuse the zod transform on the form, as if it were a body.
      const form = zodTransform({ ...input, schema: { body: multipartBody } } as typeof input) as Transformed;
      schema.body = form.schema.body;
      schema.consumes = ['multipart/form-data'];
      delete schema.multipartBody;
    }
    const response: Record<string, unknown> = { ...(schema.response as Record<string, unknown> | undefined) };
    for (const [status, declared] of Object.entries(response)) {
      if (isProblem(declared)) response[status] = sharedResponseRef(Number(status));
    }
    const route = input.route as RouteOptions;
    if (route.config?.idempotent) {
      const headers = (schema.headers as JsonSchema | undefined) ?? { type: 'object', properties: {} };
      schema.headers = {
        ...headers,
        properties: {
          ...(headers.properties as JsonSchema | undefined),
          'idempotency-key': {
            type: 'string',
            pattern: '^[\\x21-\\x7e]{1,255}$',
            description:
              'Any unique string (a UUID): a retry with the same key and body within 24 h returns the first answer (Idempotent-Replayed: true) and creates nothing',
          },
        },
      };
    }
    for (const status of sharedStatuses(app, route, schema)) {
      response[status] ??= sharedResponseRef(status);
    }
    // A GET's body is never read, so a route's shared error list cannot make it answer these.
    if (BODYLESS.has([route.method].flat()[0] as string)) {
      delete response[413];
      delete response[415];
    }
    schema.response = response;
    return { ...out, schema };
  };
}
