import type { SwaggerTransformObject } from '@fastify/swagger';
import { createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { isDeepStrictEqual } from 'node:util';
import { sharedRefOf, sharedResponses } from './responses.js';

type Json = Record<string, unknown>;
type Document = Json & { paths?: Json; components?: Json & { schemas?: Record<string, Json> } };

const SCHEMAS = '#/components/schemas/';
/** fastify-type-provider-zod names the request-side version of a registered schema `<id>Input`. */
const INPUT = 'Input';

function walk(value: unknown, visit: (node: Json) => void) {
  if (Array.isArray(value)) for (const v of value) walk(v, visit);
  else if (value && typeof value === 'object') {
    visit(value as Json);
    for (const v of Object.values(value)) walk(v, visit);
  }
}

/** The schema components reachable from the document outside `components.schemas`. */
function reachable(doc: Document): Set<string> {
  const schemas = doc.components?.schemas ?? {};
  const seen = new Set<string>();
  const queue: string[] = [];
  const collect = (value: unknown) =>
    walk(value, (node) => {
      if (typeof node.$ref === 'string' && node.$ref.startsWith(SCHEMAS)) {
        const name = node.$ref.slice(SCHEMAS.length);
        if (!seen.has(name)) {
          seen.add(name);
          queue.push(name);
        }
      }
    });
  collect({ ...doc, components: { ...doc.components, schemas: {} } });
  while (queue.length) collect(schemas[queue.pop() as string]);
  return seen;
}

function renameRefs(doc: Document, from: string, to: string) {
  walk(doc, (node) => {
    if (node.$ref === SCHEMAS + from) node.$ref = SCHEMAS + to;
  });
}

/**
 * Every registered zod schema arrives twice, as `X` (answers) and `XInput` (requests). One name per
 * shape is what outside clients want: an `XInput` the document uses is renamed `X` when `X` itself
 * is unused or has the very same shape (enums, schemas without defaults); unused components go.
 * Repeats until nothing changes, since merging a leaf can make its parents identical.
 */
export function tidySchemas(doc: Document) {
  const schemas = doc.components?.schemas;
  if (!schemas) return;
  for (let changed = true; changed;) {
    changed = false;
    const used = reachable(doc);
    for (const name of Object.keys(schemas)) {
      if (!name.endsWith(INPUT) || !used.has(name)) continue;
      const base = name.slice(0, -INPUT.length);
      if (used.has(base) && !isDeepStrictEqual(schemas[base], schemas[name])) continue;
      schemas[base] = schemas[name] as Json;
      delete schemas[name];
      renameRefs(doc, name, base);
      changed = true;
      break;
    }
  }
  const used = reachable(doc);
  doc.components!.schemas = Object.fromEntries(
    Object.keys(schemas)
      .filter((name) => used.has(name))
      .sort()
      .map((name) => [name, schemas[name] as Json]),
  );
}

/** Responses that stand for a shared answer become references to `components.responses`. */
function referenceSharedResponses(doc: Document) {
  for (const item of Object.values(doc.paths ?? {}) as Json[]) {
    for (const operation of Object.values(item) as Json[]) {
      const responses = operation?.responses as Json | undefined;
      if (!responses) continue;
      for (const [status, response] of Object.entries(responses)) {
        const ref = sharedRefOf(response);
        if (ref) responses[status] = { $ref: ref };
      }
    }
  }
}

/**
 * The document transform: named schemas from the zod registry (every contract with a `meta({ id })`),
 * the shared error responses, then one component per shape and none unused.
 */
export function documentTransform(): SwaggerTransformObject {
  const zodComponents = createJsonSchemaTransformObject({});
  return (input) => {
    const doc = zodComponents(input) as Document;
    referenceSharedResponses(doc);
    doc.components = { ...doc.components, responses: sharedResponses(`${SCHEMAS}Problem`) };
    tidySchemas(doc);
    return doc as ReturnType<SwaggerTransformObject>;
  };
}
