import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { AppError, type FieldError } from '../../shared/errors.js';

const NUL = '\u0000';
/** Deeper than any contract goes; deeper bodies are refused by the schemas anyway. */
const MAX_DEPTH = 32;

/** Every path in `value` whose string (or key) holds a NUL character, as `a.b.0` paths. */
function nulPaths(value: unknown, path: string[], out: FieldError[], depth = 0): FieldError[] {
  if (out.length >= 20 || depth > MAX_DEPTH) return out;
  if (typeof value === 'string') {
    if (value.includes(NUL)) out.push({ path: path.join('.'), message: 'Must not contain a NUL character' });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => nulPaths(item, [...path, String(i)], out, depth + 1));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes(NUL)) out.push({ path: [...path, key].join('.'), message: 'Must not contain a NUL character' });
      else nulPaths(item, [...path, key], out, depth + 1);
    }
  }
  return out;
}

/**
 * PostgreSQL refuses a NUL character in any text value, so no request may carry one into a query:
 * bodies, query strings and path parameters are checked before validation, for every route (a new
 * route cannot forget), and refused with 400 naming each field.
 */
export default fp(
  async (app) => {
    app.addHook('preValidation', async (request: FastifyRequest) => {
      // Only what the route reads: a query string a route declares no schema for never reaches SQL.
      const schema = (request.routeOptions.schema ?? {}) as { params?: unknown; querystring?: unknown };
      const errors = [
        ...(schema.params ? nulPaths(request.params, [], []) : []),
        ...(schema.querystring ? nulPaths(request.query, [], []) : []),
        ...nulPaths(request.body, [], []),
      ].map((e) => ({ ...e, path: e.path || 'body' }));
      if (errors.length) throw new AppError('validation', 'The request contains a NUL character', { errors });
    });
  },
  { name: 'input', dependencies: ['errors'] },
);
