import { z } from 'zod';
import type { $ZodType } from 'zod/v4/core';

/**
 * What a route's `schema.response` says beyond the schema itself: the description an OpenAPI
 * reader sees and the media type the answer really has. Error statuses need none of this: the docs
 * module declares them (as application/problem+json) from what the shared plugins can answer.
 */

declare module 'fastify' {
  interface FastifySchema {
    /**
     * A multipart/form-data body, for the document only: the handler reads the parts itself (as a
     * stream), so Fastify must not validate a `body`.
     */
    multipartBody?: $ZodType;
  }
}

/** A JSON answer (the zod serializer still checks it and drops unknown fields). */
export const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** An answer without a body (204). */
export const noContent = (description: string) => z.null().describe(description);

/**
 * An answer of another media type: a CSV download, an event stream (whose schema, for want of
 * OpenAPI 3.2's itemSchema, is that of each event's data, as is the custom).
 */
export function text<M extends string, S extends z.ZodType = z.ZodString>(
  mediaType: M,
  description: string,
  schema?: S,
) {
  return { description, content: { [mediaType]: { schema: schema ?? z.string() } } as Record<M, { schema: S }> };
}
