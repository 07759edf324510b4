import fc from 'fast-check';
import type { JsonSchema } from './routes.js';

/**
 * Values a field's contract cannot be derived for from its JSON Schema alone (what a phone number
 * is, which ids name real objects), by property name; everything else is generic.
 */
export interface Overrides {
  byProperty: Record<string, fc.Arbitrary<unknown>>;
  /** Ids of real objects, mixed into every uuid field. */
  realIds: () => string[];
  /** The same for path parameters: the objects a request acts on, never the signed-in actors themselves. */
  pathIds: () => string[];
}

const FIRST = new Date('0001-01-01T00:00:00.000Z');
const LAST = new Date('9999-12-31T23:59:59.999Z');

const isoDate = fc.date({ min: FIRST, max: LAST, noInvalidDate: true }).chain((d) =>
  fc.constantFrom(
    d.toISOString(),
    d.toISOString().replace('Z', '+00:00'),
    // Near the ends of the range, where an offset moves the instant across a year boundary.
    d.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  ),
);

const emails = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,30}[a-z0-9]$/),
    fc.constantFrom('example.com', 'example.org', 'ex-ample.co.uk'),
  )
  .map(([local, domain]) => `${local.replace(/\.\.+/g, '.')}@${domain}`.toLowerCase());

/** Text: mostly printable, sometimes any Unicode (combining marks, emoji, bidi controls). */
function text(minLength: number, maxLength: number): fc.Arbitrary<string> {
  const cap = Math.min(maxLength, 300);
  const lengthOk = (s: string) => s.length <= maxLength && s.trim().length >= minLength;
  const random = fc
    .oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength, maxLength: cap }) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength, maxLength: cap }) },
    )
    .map((s) => (s.trim().length < minLength ? 'x'.repeat(minLength) + s : s).slice(0, maxLength));
  // Exactly at the bounds: the longest and the shortest value the contract allows.
  const bounds = fc.constantFrom('a'.repeat(Math.max(minLength, 1)), 'é'.repeat(maxLength > 10_000 ? 100 : maxLength));
  return fc.oneof({ weight: 4, arbitrary: random }, { weight: 1, arbitrary: bounds }).filter(lengthOk);
}

function uuid(overrides: Overrides): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.nat().map((i) => pick(overrides.realIds(), i)) },
    { weight: 1, arbitrary: fc.uuid({ version: [4, 7] }) },
  );
}

/** The i-th (modulo) of the ids; seeded like the rest, so a failing case replays. */
export function pick(ids: string[], i: number): string {
  return ids.length ? ids[i % ids.length]! : '00000000-0000-7000-8000-000000000000';
}

/**
 * An arbitrary of values that a JSON Schema describes: type, enum, const, string lengths and
 * formats (email, uuid, date-time) or patterns, number bounds, arrays, objects (required and
 * optional properties), anyOf/oneOf. Refinements a schema cannot express are not known here, so
 * some values are still refused by the contract: the suite counts those apart.
 */
export function arbitraryOf(
  schema: JsonSchema | undefined,
  overrides: Overrides,
  name?: string,
): fc.Arbitrary<unknown> {
  if (!schema || Object.keys(schema).length === 0) return fc.jsonValue({ maxDepth: 2 });
  if (name && overrides.byProperty[name]) return overrides.byProperty[name];
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (alternatives) return fc.oneof(...alternatives.map((s) => arbitraryOf(s, overrides, name)));
  if (Array.isArray(schema.allOf) && schema.allOf.length)
    return arbitraryOf(schema.allOf[0] as JsonSchema, overrides, name);
  const type = Array.isArray(schema.type) ? (schema.type[0] as string) : (schema.type as string | undefined);
  switch (type) {
    case 'string':
      return stringOf(schema, overrides);
    case 'integer':
    case 'number': {
      const min = (schema.minimum as number | undefined) ?? (type === 'integer' ? -1_000_000 : -1e6);
      const max = (schema.maximum as number | undefined) ?? (type === 'integer' ? 1_000_000 : 1e6);
      const inside =
        type === 'integer' ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
      return fc.oneof({ weight: 3, arbitrary: inside }, { weight: 1, arbitrary: fc.constantFrom(min, max) });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const minLength = (schema.minItems as number | undefined) ?? 0;
      const maxLength = Math.min((schema.maxItems as number | undefined) ?? 10, minLength + 10);
      return fc.array(arbitraryOf(schema.items as JsonSchema, overrides), { minLength, maxLength });
    }
    case 'object':
    case undefined:
      return objectOf(schema, overrides);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringOf(schema: JsonSchema, overrides: Overrides): fc.Arbitrary<string> {
  const minLength = (schema.minLength as number | undefined) ?? 0;
  const maxLength = (schema.maxLength as number | undefined) ?? 1_000;
  switch (schema.format) {
    case 'uuid':
      return uuid(overrides);
    case 'email':
      return emails.filter((e) => e.length <= maxLength);
    case 'date-time':
      return isoDate;
    case 'date':
      return isoDate.map((d) => d.slice(0, 10));
  }
  if (typeof schema.pattern === 'string') {
    return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= minLength && s.length <= maxLength);
  }
  return text(minLength, maxLength);
}

function objectOf(schema: JsonSchema, overrides: Overrides): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const entries = Object.entries(properties).map(
    ([key, s]) => [key, arbitraryOf(s, overrides, key), required.has(key)] as const,
  );
  return fc
    .tuple(...entries.map(([, arb, isRequired]) => (isRequired ? arb : fc.option(arb, { nil: undefined, freq: 2 }))))
    .map((values) => {
      const out: Record<string, unknown> = {};
      entries.forEach(([key], i) => {
        if (values[i] !== undefined) out[key] = values[i];
      });
      return out;
    });
}

/** The properties a JSON Schema object declares, and which are required. */
export function propertiesOf(schema: JsonSchema | undefined): { names: string[]; required: string[] } {
  return {
    names: Object.keys((schema?.properties ?? {}) as object),
    required: (schema?.required ?? []) as string[],
  };
}
