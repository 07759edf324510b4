import { channel } from 'node:diagnostics_channel';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/** One method of one route as the app registered it, with its request schemas as JSON Schema. */
export interface FuzzRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  body?: JsonSchema;
  querystring?: JsonSchema;
  params?: JsonSchema;
  /** The zod schemas themselves, to tell a generated value the contract accepts from one it refuses. */
  zod: { body?: z.ZodType; querystring?: z.ZodType; params?: z.ZodType };
  /** Declared in the route: the answer is not JSON (a CSV export, an event stream). */
  produces?: string[];
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

function toJsonSchema(schema: unknown): JsonSchema | undefined {
  if (!schema) return undefined;
  if (schema instanceof z.ZodType) return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return schema as JsonSchema;
}

/**
 * Records every route of the next Fastify instance created, from its first line on: Fastify
 * publishes `fastify.initialization` before any plugin is registered, so an `onRoute` hook added
 * there sees every route, documented or not (the probes, the OpenAPI document, the web app).
 */
export function recordRoutes(): { routes: FuzzRoute[]; stop(): void } {
  const routes: FuzzRoute[] = [];
  const initialization = channel('fastify.initialization');
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance };
    fastify.addHook('onRoute', (options: RouteOptions) => {
      const schema = (options.schema ?? {}) as Record<string, unknown>;
      for (const method of [options.method].flat()) {
        if (!METHODS.has(method)) continue;
        routes.push({
          method: method as FuzzRoute['method'],
          url: options.url,
          body: toJsonSchema(schema.body),
          querystring: toJsonSchema(schema.querystring),
          params: toJsonSchema(schema.params),
          zod: {
            body: schema.body instanceof z.ZodType ? schema.body : undefined,
            querystring: schema.querystring instanceof z.ZodType ? schema.querystring : undefined,
            params: schema.params instanceof z.ZodType ? schema.params : undefined,
          },
          produces: schema.produces as string[] | undefined,
        });
      }
    });
  };
  initialization.subscribe(onInit);
  return { routes, stop: () => initialization.unsubscribe(onInit) };
}

/** The path parameter names of a route URL (`/a/:id/b` → ['id']). */
export const pathParams = (url: string) => [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);

export const routeName = (route: Pick<FuzzRoute, 'method' | 'url'>) => `${route.method} ${route.url}`;
