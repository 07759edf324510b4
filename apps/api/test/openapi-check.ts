import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { expect } from 'vitest';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';

/**
 * "The document tells the truth": every answer an app built by the test helper sends is checked
 * against that app's own OpenAPI document — the status is declared for the operation (method +
 * route pattern), the media type is the one declared for that status, and a JSON body validates
 * against the declared schema (JSON Schema 2020-12, components resolved). Mismatches are collected
 * here; test/setup.ts fails the test (or the file) that caused them.
 */

type Json = Record<string, unknown>;
interface Response {
  description?: string;
  content?: Record<string, { schema?: Json }>;
  $ref?: string;
}
interface Document {
  paths: Record<string, Record<string, { responses?: Record<string, Response> }>>;
  components?: { schemas?: Json; responses?: Record<string, Response> };
}

export interface Mismatch {
  method: string;
  route: string;
  status: number;
  mediaType: string;
  problem: string;
  test?: string;
}

/** Answers the document does not describe, on purpose, and why. */
const UNCHECKED: [RegExp, string][] = [
  [/^\/metrics$/, 'Prometheus text exposition for scrapers, hidden from the document'],
  [/^\/api\/openapi\.json$/, 'the document itself'],
  [/^\/api\/docs(\/|$)/, 'the interactive reference: swagger-ui’s page and static files'],
  [/^\/\*?$/, 'the web app (index.html and its assets), not the API'],
];
/** Fastify answers HEAD for every GET route and @fastify/cors answers preflights; neither is an operation. */
const UNCHECKED_METHODS: Record<string, string> = {
  HEAD: 'automatic HEAD route: the GET answer without its body',
  OPTIONS: 'CORS preflight, answered by @fastify/cors',
};

const DOC_ID = 'urn:crewdesk:openapi';
const COMPONENT_REF = /^#\/components\//;
const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json');

const found: Mismatch[] = [];
let checked = 0;

/** Mismatches found since the last call (and forgets them). */
export const takeMismatches = () => found.splice(0);
/** How many answers have been checked in this process. */
export const checkedResponses = () => checked;

export function formatMismatches(list: Mismatch[]) {
  return [
    `${list.length} answer(s) the OpenAPI document does not describe:`,
    ...list.map(
      (m) =>
        `  ${m.method} ${m.route} → ${m.status} ${m.mediaType || '(no body)'}: ${m.problem}${m.test ? `  [${m.test}]` : ''}`,
    ),
  ].join('\n');
}

/** One document's validators, shared by every app of the process that serves the same document. */
class DocumentChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly doc: Document) {
    (addFormatsPlugin as unknown as (ajv: Ajv2020) => void)(this.ajv);
    // The components, under their own document id, so `#/components/...` references resolve.
    this.ajv.addSchema({ $id: DOC_ID, components: doc.components ?? {} });
    // Ajv's first compile costs most (formats, code generation): pay it while the app starts.
    if (doc.components?.schemas?.Problem) this.validator('warm-up', { $ref: '#/components/schemas/Problem' });
  }

  /** The declared response for a status (exact, then 2XX-style, then default), references followed. */
  response(path: string, method: string, status: number): Response | null | undefined {
    const operation = this.doc.paths[path]?.[method.toLowerCase()];
    if (!operation) return undefined;
    const responses = operation.responses ?? {};
    let response = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default ?? null;
    while (response?.$ref) {
      const name = response.$ref.replace('#/components/responses/', '');
      response = this.doc.components?.responses?.[name] ?? null;
    }
    return response;
  }

  validator(key: string, schema: Json): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      // The schema's own references point into the document: make them absolute.
      const absolute = JSON.parse(JSON.stringify(schema), (k, v) =>
        k === '$ref' && typeof v === 'string' && COMPONENT_REF.test(v) ? `${DOC_ID}${v}` : v,
      ) as Json;
      validate = this.ajv.compile(absolute);
      this.validators.set(key, validate);
    }
    return validate;
  }
}

/**
 * Building a document takes a few hundred milliseconds of one core, so apps with the same routes
 * share one: a route's schema, hooks and config come from module code, never from the app's config
 * (the routes printed with their hooks tell two apps' documents apart).
 */
const checkers = new Map<string, DocumentChecker>();
function checkerFor(app: FastifyInstance): DocumentChecker {
  const routes = app.printRoutes({ commonPrefix: false, includeHooks: true });
  let checker = checkers.get(routes);
  if (!checker) checkers.set(routes, (checker = new DocumentChecker(app.swagger() as unknown as Document)));
  return checker;
}

function decode(payload: unknown, encoding: string | undefined): string | null {
  if (payload === undefined || payload === null) return '';
  if (typeof payload === 'string' && !encoding) return payload;
  if (!Buffer.isBuffer(payload) && typeof payload !== 'string') return null; // a stream
  const raw = Buffer.from(payload);
  const bytes =
    encoding === 'gzip'
      ? gunzipSync(raw)
      : encoding === 'br'
        ? brotliDecompressSync(raw)
        : encoding === 'deflate'
          ? inflateSync(raw)
          : raw;
  return bytes.toString('utf8');
}

/** The Content-Type actually sent, also for a hijacked reply whose headers went straight to the socket. */
function contentTypeOf(reply: FastifyReply): string {
  const header =
    reply.getHeader('content-type') ??
    reply.raw.getHeader('content-type') ??
    /^content-type:\s*(.+)$/im.exec((reply.raw as unknown as { _header?: string })._header ?? '')?.[1];
  return String(header ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
}

interface Answer {
  method: string;
  route: string | undefined;
  status: number;
  mediaType: string;
  body: string | null;
}

/** What is wrong with one answer, or null. */
function problemWith(checker: DocumentChecker, answer: Answer, unchecked: [RegExp, string][]): string | null {
  const { method, route, status, mediaType, body } = answer;
  if (UNCHECKED_METHODS[method]) return null;
  let response: Response | null | undefined;
  let key: string;
  if (route === undefined) {
    // No route matched: the not-found handler answers, as every error, with problem details.
    response = checker.doc.components?.responses?.NotFound;
    key = 'not-found';
  } else {
    if (unchecked.some(([pattern]) => pattern.test(route))) return null;
    const path = route.replace(/:(\w+)/g, '{$1}');
    response = checker.response(path, method, status);
    key = `${method} ${path} ${status}`;
    if (response === undefined) return 'the operation is not in the document';
    if (response === null) return `status ${status} is not declared for this operation`;
  }
  if (!response) return 'no response is declared';
  const content = response.content;
  if (!content) return body ? `a body (${mediaType || 'no Content-Type'}) where the document declares none` : null;
  const media = content[mediaType];
  if (!media)
    return `media type ${mediaType || '(none)'} is not declared (declared: ${Object.keys(content).join(', ')})`;
  if (!isJson(mediaType)) return null;
  if (body === null) return 'a JSON body sent as a stream, which the check cannot read';
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return `the body is not JSON: ${body.slice(0, 120)}`;
  }
  const validate = checker.validator(`${key} ${mediaType}`, media.schema ?? {});
  if (validate(value)) return null;
  const errors = (validate.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
    .join('; ');
  return `the body does not match the declared schema: ${errors}; body: ${body.slice(0, 300)}`;
}

const payloads = new WeakMap<FastifyRequest, unknown>();

/**
 * Checks every answer of `app` against its document. Call before `app.ready()`. `unchecked` adds
 * routes a test defines for itself, each with the reason it is not in the document.
 */
export function checkResponsesAgainstDocument(app: FastifyInstance, unchecked: Record<string, string> = {}) {
  const skip: [RegExp, string][] = [
    ...UNCHECKED,
    ...Object.entries(unchecked).map(([route, why]): [RegExp, string] => [
      new RegExp(`^${route.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
      why,
    ]),
  ];
  let checker: DocumentChecker;
  // Built while the app starts, not in the middle of a test's requests.
  app.addHook('onReady', async () => {
    checker = checkerFor(app);
  });
  app.addHook('onSend', async (request, _reply, payload) => {
    payloads.set(request, payload);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const answer: Answer = {
      method: request.method,
      route: request.routeOptions.url,
      status: reply.raw.statusCode,
      mediaType: contentTypeOf(reply),
      // Fastify drops the body of a 204 or 304 whatever the handler sent.
      body: [204, 304].includes(reply.raw.statusCode)
        ? ''
        : decode(payloads.get(request), reply.getHeader('content-encoding') as string | undefined),
    };
    const problem = problemWith(checker, answer, skip);
    checked += 1;
    if (problem) {
      found.push({
        method: answer.method,
        route: answer.route ?? `(no route: ${request.url.split('?')[0]})`,
        status: answer.status,
        mediaType: answer.mediaType,
        problem,
        test: expect.getState().currentTestName,
      });
    }
  });
}
