import fc from 'fast-check';

/** A JSON token no JS value serialises to (1e309, -0 as written, a 30-digit integer), placed verbatim. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text for a value that may hold RawJson tokens. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v.text);
      return `@@raw${raws.length - 1}@@`;
    }
    return v;
  });
  return (text ?? 'null').replace(/"@@raw(\d+)@@"/g, (_m, i: string) => raws[Number(i)]!);
}

export const MIB = 1024 * 1024;

/** Nested `depth` levels deep, as JSON text (JSON.stringify itself would recurse that deep). */
export function nestedJson(depth: number, kind: 'array' | 'object', leaf = '1'): string {
  return kind === 'array'
    ? '['.repeat(depth) + leaf + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
}

/** Objects with own keys named like Object.prototype's, as JSON.parse makes them. */
const prototypeKeyed = JSON.parse(
  '{"__proto__":{"role":"admin","polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":{}}',
) as Record<string, unknown>;

export const hostileStrings: string[] = [
  '',
  ' ',
  '   \t\n  ',
  'a\u0000b',
  '\u0000',
  '\u0001\u0007\b\u000b\f\u001b[31m\u007f\u0085',
  '\r\n\r\nX-Injected: 1',
  '\ud800',
  'a\udfffb',
  '\udc00\ud800',
  '\u202egnp.exe\u202c',
  '\u200b\u200c\u200d\u2060\ufeff',
  'e' + '\u0301'.repeat(200),
  '👩‍👩‍👧‍👦🏳️‍🌈🇺🇳',
  '\uffff\ufffe\ufffd',
  '𝕏'.repeat(60),
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '-1e309',
  '0x1F',
  '9007199254740993',
  '1'.repeat(400),
  '-1',
  '0',
  '1.5',
  'true',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'prototype',
  "' OR 1=1 --",
  "'; drop table tasks; --",
  '%_\\',
  '$1',
  '=cmd|"/c calc"!A1',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  '0000-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '10000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '9999-12-31T23:59:59.999-00:01',
  '0001-01-01T00:00:00+00:01',
  '2024-02-30T00:00:00Z',
  '2024-01-01T25:00:00Z',
  '2024-01-01T00:00:00+99:99',
  '2024-01-01',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'FFFFFFFF-FFFF-7FFF-BFFF-FFFFFFFFFFFF',
  '{0190a000-0000-7000-8000-000000000001}',
  'a@b',
  'A@EXAMPLE.COM',
  '"quoted"@example.com',
  'x'.repeat(101),
  'x'.repeat(257),
  'x'.repeat(10_000),
];

/** Just under the body limit: accepted by the parser, refused by every length rule. */
export const bigString = 'x'.repeat(MIB - 64);

const year = (y: number) => {
  const d = new Date(0);
  d.setUTCFullYear(y, 0, 1);
  return d.getTime();
};
/**
 * Times at the edges of what ISO-8601, JavaScript and PostgreSQL can hold (no year 0 in
 * PostgreSQL, four-digit years in ISO-8601), as toISOString writes them, sometimes with
 * microseconds as PostgreSQL does.
 */
export const edgeDate: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      fc.date({ min: new Date(year(-1)), max: new Date(year(2)), noInvalidDate: true }),
      fc.date({ min: new Date(year(9999)), max: new Date(year(10_001)), noInvalidDate: true }),
      fc.constantFrom(new Date(-8.64e15), new Date(8.64e15)),
    ),
    fc.boolean(),
  )
  .map(([d, micro]) => (micro ? d.toISOString().replace(/Z$/, '123Z') : d.toISOString()));

/** Values of the wrong kind, numbers JSON can say but JS cannot hold, and deep structures. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: edgeDate },
  { weight: 6, arbitrary: fc.constantFrom(...hostileStrings) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      Number.MAX_SAFE_INTEGER + 2,
      -Number.MAX_VALUE,
      [],
      {},
      [null],
      [''],
      { '': '' },
      prototypeKeyed,
      new RawJson('-0'),
      new RawJson('1e309'),
      new RawJson('-1e309'),
      new RawJson('123456789012345678901234567890'),
      new RawJson('1e-400'),
      new RawJson('0.0000000000000000000000000001'),
      new RawJson(nestedJson(64, 'array')),
      new RawJson(nestedJson(64, 'object')),
      new RawJson(nestedJson(10_000, 'array')),
      Array.from({ length: 10_000 }, (_, i) => i),
    ),
  },
  { weight: 1, arbitrary: fc.constant(bigString) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

export const hostileKeys = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '',
  ' ',
  '\u0000',
  'a.b',
  '$where',
  '\ud800',
];

export type Mutation =
  | { kind: 'set'; key: string; value: unknown }
  | { kind: 'add'; key: string; value: unknown }
  | { kind: 'drop'; key: string }
  | { kind: 'replace'; value: unknown };

/** A change to a valid object that should make it invalid: a field set wrong, a key added or dropped, or the whole value replaced. */
export function mutation(names: string[], required: string[]): fc.Arbitrary<Mutation> {
  const options: { weight: number; arbitrary: fc.Arbitrary<Mutation> }[] = [
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.oneof(fc.constantFrom(...hostileKeys), fc.string({ maxLength: 10 })), hostileValue)
        .map(([key, value]) => ({ kind: 'add' as const, key, value })),
    },
    { weight: 1, arbitrary: hostileValue.map((value) => ({ kind: 'replace' as const, value })) },
  ];
  if (names.length) {
    options.push({
      weight: 6,
      arbitrary: fc
        .tuple(fc.constantFrom(...names), hostileValue)
        .map(([key, value]) => ({ kind: 'set' as const, key, value })),
    });
  }
  if (required.length) {
    options.push({
      weight: 1,
      arbitrary: fc.constantFrom(...required).map((key) => ({ kind: 'drop' as const, key })),
    });
  }
  return fc.oneof(...options);
}

export function applyMutation(base: unknown, m: Mutation): unknown {
  if (m.kind === 'replace') return m.value;
  const target: Record<string, unknown> =
    base !== null && typeof base === 'object' && !Array.isArray(base) ? { ...base } : {};
  if (m.kind === 'drop') delete target[m.key];
  // defineProperty, so that '__proto__' becomes an own key (as JSON.parse makes it), not the prototype.
  else Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
  return target;
}

/** A body as sent on the wire: bytes and a content type (none when absent). */
export interface RawBody {
  name: string;
  payload: string | Buffer;
  contentType?: string;
}

const json = 'application/json';

/** Bodies no contract should accept: not objects, not JSON, too deep, too big, or mislabelled. */
export const bodyCorpus: RawBody[] = [
  { name: 'empty body labelled JSON', payload: '', contentType: json },
  { name: 'JSON null', payload: 'null', contentType: json },
  { name: 'JSON array', payload: '[{}]', contentType: json },
  { name: 'JSON string', payload: '"title"', contentType: json },
  { name: 'JSON number', payload: '1e309', contentType: json },
  { name: 'JSON true', payload: 'true', contentType: json },
  { name: 'not JSON (NaN)', payload: 'NaN', contentType: json },
  { name: 'truncated JSON', payload: '{"title":', contentType: json },
  { name: 'byte order mark', payload: '\ufeff{}', contentType: json },
  { name: '10,000 nested arrays', payload: nestedJson(10_000, 'array'), contentType: json },
  { name: '10,000 nested objects', payload: nestedJson(10_000, 'object'), contentType: json },
  { name: '64 nested arrays', payload: nestedJson(64, 'array'), contentType: json },
  { name: 'over 1 MiB', payload: toJsonText({ title: 'x'.repeat(MIB + 16) }), contentType: json },
  {
    name: 'prototype keys',
    payload: '{"__proto__":{"role":"admin"},"constructor":{"prototype":{"role":"admin"}}}',
    contentType: json,
  },
  { name: 'duplicate keys', payload: '{"title":"a","title":"b","title":{}}', contentType: json },
  {
    name: 'invalid UTF-8',
    payload: Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
    contentType: json,
  },
  { name: 'UTF-16 JSON', payload: Buffer.from('{"title":"x"}', 'utf16le'), contentType: `${json}; charset=utf-16le` },
  { name: 'JSON labelled text/plain', payload: '{"title":"x"}', contentType: 'text/plain' },
  { name: 'form-encoded', payload: 'title=x&__proto__[role]=admin', contentType: 'application/x-www-form-urlencoded' },
  {
    name: 'multipart',
    payload: '--b\r\ncontent-disposition: form-data; name="title"\r\n\r\nx\r\n--b--\r\n',
    contentType: 'multipart/form-data; boundary=b',
  },
  { name: 'broken multipart', payload: '--b\r\n\r\n', contentType: 'multipart/form-data' },
  { name: 'XML', payload: '<title>x</title>', contentType: 'application/xml' },
  { name: 'vendor JSON type', payload: '{}', contentType: 'application/vnd.api+json' },
  { name: 'odd JSON type spelling', payload: '{}', contentType: 'APPLICATION/JSON ; charset="utf-8"' },
  { name: 'content type with NUL', payload: '{}', contentType: 'application/json\u0000' },
  { name: 'no content type', payload: '{"title":"x"}' },
];

/** Path segments in place of an id: encoded as sent (some deliberately malformed). */
export const hostileSegments = [
  '%00',
  '..',
  '%2e%2e%2f%2e%2e',
  'null',
  '-1',
  '0',
  '1e309',
  'x'.repeat(5_000),
  '%ED%A0%80',
  '%E0%A4%A',
  '%',
  '%F0%9F%98%80',
  '%E2%80%AE',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '0190A000-0000-7000-8000-000000000001',
  '0190a000-0000-7000-8000-000000000001%20',
  '%7B0190a000-0000-7000-8000-000000000001%7D',
  '__proto__',
  'constructor',
];

/** Query strings as sent (raw, some malformed), added to a route's own. */
export const hostileQueries = [
  '%',
  '%ZZ=1',
  '=x',
  '__proto__=x&constructor=y&prototype=z',
  '__proto__[role]=admin',
  'limit=1&limit=2',
  'limit=NaN',
  'limit=-0',
  'limit=1e309',
  'limit=99999999999999999999999',
  'limit=0x10',
  'limit[]=1',
  'q=%ED%A0%80',
  'q=%00',
  `cursor=${'x'.repeat(100_000)}`,
  `q=${'%F0%9F%98%80'.repeat(2_000)}`,
];

/** Encodes a value for a URL, including strings encodeURIComponent refuses (lone surrogates). */
export function encodeLoose(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...Buffer.from(value, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
  }
}
