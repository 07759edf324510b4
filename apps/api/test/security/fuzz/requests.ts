import fc from 'fast-check';
import {
  RawJson,
  applyMutation,
  bodyCorpus,
  encodeLoose,
  hostileQueries,
  hostileSegments,
  hostileStrings,
  mutation,
  toJsonText,
  type RawBody,
} from './hostile.js';
import { arbitraryOf, propertiesOf, type Overrides } from './schema-arbitrary.js';
import { pathParams, type FuzzRoute } from './routes.js';

export const ROLES = ['anonymous', 'member', 'agent', 'admin', 'forged'] as const;
export type FuzzRole = (typeof ROLES)[number];

/** One request, as sent: who sends it, the URL (path and query as raw text) and the body. */
export interface FuzzCase {
  role: FuzzRole;
  /** Which forged credential, when role is 'forged'. */
  forgery: number;
  url: string;
  body?: RawBody;
  /** Generated from the contracts and accepted by them, path, query and body alike. */
  valid: boolean;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const hasBody = (route: FuzzRoute) => BODY_METHODS.has(route.method);

/** A query string from a record, with anything a generator made (arrays repeat the key). */
export function queryText(values: unknown): string {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    return values === undefined ? '' : `q=${encodeLoose(scalarText(values))}`;
  }
  const parts: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    for (const v of Array.isArray(value) ? value : [value])
      parts.push(`${encodeLoose(key)}=${encodeLoose(scalarText(v))}`);
  }
  return parts.join('&');
}

function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof RawJson) return value.text;
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? toJsonText(value) : String(value);
}

const accepts = (schema: { safeParse(v: unknown): { success: boolean } } | undefined, value: unknown) =>
  !schema || schema.safeParse(value).success;

/**
 * Requests for a route: values generated from its own schemas (path, query and body), then, in
 * most runs, made hostile: one field set wrong, a key added or dropped, the body replaced by a
 * non-object, a malformed path segment or query, or a body from the corpus of bad bodies.
 */
export function caseArbitrary(route: FuzzRoute, overrides: Overrides, forgeries: number): fc.Arbitrary<FuzzCase> {
  const names = pathParams(route.url);
  const paramValue = (name: string) =>
    fc.oneof(
      {
        weight: 5,
        arbitrary: arbitraryOf(
          (route.params?.properties as Record<string, Record<string, unknown>> | undefined)?.[name],
          { ...overrides, realIds: overrides.pathIds },
        ).map((v) => ({ text: encodeLoose(String(v)), valid: true, value: String(v) })),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(...hostileSegments).map((text) => ({ text, valid: false, value: text })),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(...hostileStrings).map((s) => ({ text: encodeLoose(s), valid: false, value: s })),
      },
    );
  const params = fc.tuple(...names.map(paramValue));

  const queryProps = propertiesOf(route.querystring);
  const query = fc.oneof(
    {
      weight: 5,
      arbitrary: route.querystring
        ? arbitraryOf(route.querystring, overrides).map((v) => ({ value: v, mutated: false }))
        : fc.constant({ value: {} as unknown, mutated: false }),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(arbitraryOf(route.querystring, overrides), mutation(queryProps.names, queryProps.required))
        .map(([v, m]) => ({ value: applyMutation(v, m), mutated: true })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...hostileQueries)
        .map((raw) => ({ value: new RawJson(raw) as unknown, mutated: true })),
    },
  );

  const bodyProps = propertiesOf(route.body);
  const jsonBody = (value: unknown): RawBody => ({
    name: 'json',
    payload: toJsonText(value),
    contentType: 'application/json',
  });
  const body: fc.Arbitrary<{ body?: RawBody; value?: unknown; mutated: boolean }> = hasBody(route)
    ? fc.oneof(
        {
          weight: 4,
          arbitrary: arbitraryOf(route.body, overrides).map((v) => ({ body: jsonBody(v), value: v, mutated: false })),
        },
        {
          weight: 4,
          arbitrary: fc
            .tuple(arbitraryOf(route.body, overrides), mutation(bodyProps.names, bodyProps.required))
            .map(([v, m]) => ({ body: jsonBody(applyMutation(v, m)), mutated: true })),
        },
        { weight: 1, arbitrary: fc.constantFrom(...bodyCorpus).map((b) => ({ body: b, mutated: true })) },
        { weight: 1, arbitrary: fc.constant({ mutated: true }) },
      )
    : fc.oneof(
        { weight: 9, arbitrary: fc.constant({ mutated: false }) },
        { weight: 1, arbitrary: fc.constantFrom(...bodyCorpus).map((b) => ({ body: b, mutated: true })) },
      );

  return fc
    .record({ role: fc.constantFrom(...ROLES), forgery: fc.nat({ max: forgeries - 1 }), params, query, body })
    .map(({ role, forgery, params: segments, query: q, body: b }) => {
      let path = route.url;
      names.forEach((name, i) => (path = path.replace(`:${name}`, segments[i]!.text)));
      const queryString = q.value instanceof RawJson ? q.value.text : queryText(q.value);
      const paramsValue = Object.fromEntries(names.map((n, i) => [n, segments[i]!.value]));
      const valid =
        segments.every((s) => s.valid) &&
        !q.mutated &&
        !b.mutated &&
        accepts(route.zod.params, paramsValue) &&
        accepts(route.zod.querystring, Object.fromEntries(new URLSearchParams(queryString))) &&
        (!hasBody(route) || accepts(route.zod.body, b.value));
      return { role, forgery, url: queryString ? `${path}?${queryString}` : path, body: b.body, valid };
    });
}

/**
 * The fixed corpus, sent once per route: every bad body (to routes that take one), every bad path
 * segment in each path parameter, every bad query (to routes that read one); each around otherwise
 * valid parts.
 */
export function corpusCases(route: FuzzRoute, validParams: Record<string, string>, validBody: unknown): FuzzCase[] {
  const names = pathParams(route.url);
  const pathWith = (override?: [string, string]) => {
    let path = route.url;
    for (const name of names)
      path = path.replace(`:${name}`, override?.[0] === name ? override[1] : validParams[name]!);
    return path;
  };
  const base = { role: 'admin' as FuzzRole, forgery: 0, valid: false };
  const validJson: RawBody | undefined = hasBody(route)
    ? { name: 'json', payload: toJsonText(validBody ?? {}), contentType: 'application/json' }
    : undefined;
  return [
    ...(hasBody(route) ? bodyCorpus.map((body) => ({ ...base, url: pathWith(), body })) : []),
    ...names.flatMap((name) =>
      hostileSegments.map((segment) => ({ ...base, url: pathWith([name, segment]), body: validJson })),
    ),
    // A route without a query schema ignores its query string; the generated requests still send some.
    ...(route.querystring ? hostileQueries : []).map((q) => ({ ...base, url: `${pathWith()}?${q}`, body: validJson })),
  ];
}
