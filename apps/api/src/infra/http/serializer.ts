import fastJson from 'fast-json-stringify';
import type { FastifyReply } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { $ZodType } from 'zod/v4/core';

type JsonSchema = Record<string, unknown>;

/** Keywords whose value is a schema, a list of schemas or a map of names to schemas. */
const ONE = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames'];
const MANY = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const MAP = ['properties', 'definitions', '$defs', 'patternProperties'];

const isNullSchema = (s: unknown) =>
  typeof s === 'object' && s !== null && (s as JsonSchema).type === 'null' && Object.keys(s).length === 1;

/**
 * zod writes `X | null` as `anyOf: [X, {type: null}]`, which fast-json-stringify serialises by
 * running a validator on every value to pick the branch; a scalar X is the same as `type: [X, 'null']`,
 * which it writes directly. Everything else is kept as it is.
 */
export function simplifyNullable(schema: unknown): unknown {
  if (Array.isArray(schema) || typeof schema !== 'object' || schema === null) return schema;
  const out: JsonSchema = { ...(schema as JsonSchema) };
  for (const key of ONE) if (key in out) out[key] = simplifyNullable(out[key]);
  for (const key of MANY) if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map(simplifyNullable);
  for (const key of MAP) {
    const map = out[key];
    if (map && typeof map === 'object')
      out[key] = Object.fromEntries(Object.entries(map).map(([name, s]) => [name, simplifyNullable(s)]));
  }
  const anyOf = out.anyOf as JsonSchema[] | undefined;
  if (anyOf?.length === 2 && anyOf.some(isNullSchema)) {
    const other = anyOf.find((s) => !isNullSchema(s))!;
    const scalar = typeof other.type === 'string' && other.type !== 'object' && other.type !== 'array';
    if (scalar && !('enum' in other) && !('const' in other) && !('$ref' in other)) {
      delete out.anyOf;
      return { ...out, ...other, type: [other.type, 'null'] };
    }
  }
  return out;
}

/**
 * Answers are written by fast-json-stringify, compiled once per route and status from the JSON Schema
 * of the route's zod response schema (the one the OpenAPI document publishes): only the declared
 * fields leave the process, as with zod, at a third of the cost of zod's encode + JSON.stringify
 * (the task list page: ~25 µs against ~80 µs). What it does not check — that every value has its
 * declared format — the test suite checks on every answer against the document (test/openapi-check.ts).
 * A schema JSON Schema cannot express falls back to zod's serializer.
 */
export const serializerCompiler: FastifySerializerCompiler<unknown> = (route) => {
  const { schema } = route;
  return (schema instanceof $ZodType && compileJson(schema)) || zodSerializer(route);
};

const zodSerializer = (route: unknown) =>
  zodSerializerCompiler(route as Parameters<typeof zodSerializerCompiler>[0]) as (data: unknown) => string;

function compileJson(schema: $ZodType): ((data: unknown) => string) | null {
  let json: unknown;
  try {
    json = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'throw' });
  } catch {
    return null;
  }
  return fastJson(simplifyNullable(json) as Parameters<typeof fastJson>[0]);
}

/** The serialiser a route with this response schema uses, for an answer kept as text (a cached page). */
export function compileSerializer<S extends z.ZodType>(schema: S): (data: z.output<S>) => string {
  return serializerCompiler({ schema, method: 'GET', url: '', httpStatus: '200' });
}

/** Sends JSON text as it is (a route's answer serialised earlier): Fastify serialises only objects. */
export function sendJsonText(reply: FastifyReply, text: string) {
  return reply.type('application/json; charset=utf-8').send(Buffer.from(text));
}
