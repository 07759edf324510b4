import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { problem, taskPage, user } from '@crewdesk/contracts';
import { compileSerializer, serializerCompiler, simplifyNullable } from './serializer.js';

const route = (schema: unknown) => ({ schema, method: 'GET', url: '/x', httpStatus: '200' });
const compiled = (schema: unknown) => serializerCompiler(route(schema)) as (data: unknown) => string;
const zodWritten = (schema: z.ZodType, data: unknown) =>
  zodSerializerCompiler(route(schema) as Parameters<typeof zodSerializerCompiler>[0])(data);

const at = '2026-12-02T07:30:00.123Z';
const task = (i: number, overrides: Record<string, unknown> = {}) => ({
  id: `0190a5d4-7c3e-7b1a-9f00-0000000000${String(i).padStart(2, '0')}`,
  title: `Task "${i}" – é\n`,
  description: i % 2 ? '' : 'Call back </script>',
  status: i % 3 ? 'pending' : 'completed',
  priority: 'medium',
  dueDate: i % 2 ? null : at,
  leadId: i % 4 ? null : '0190a5d4-7c3e-7b1a-9f00-00000000ffff',
  ownerId: '0190a5d4-7c3e-7b1a-9f00-000000000001',
  createdAt: at,
  updatedAt: at,
  completedAt: i % 3 ? null : at,
  ...overrides,
});

describe('response serializer (fast-json-stringify from the zod schema)', () => {
  it('writes exactly what zod would: the task page, with nulls and values, quotes and non-ASCII text', () => {
    const page = { items: Array.from({ length: 8 }, (_, i) => task(i)), nextCursor: null };
    expect(compiled(taskPage)(page)).toBe(zodWritten(taskPage, page));
    const next = { ...page, nextCursor: 'WyIyMDI2Il0' };
    expect(JSON.parse(compiled(taskPage)(next))).toEqual(next);
  });

  it('never writes a field the schema does not declare (a password hash on the row stays in the process)', () => {
    const row = {
      id: '0190a5d4-7c3e-7b1a-9f00-000000000001',
      email: 'a@example.com',
      name: 'A',
      mobile: null,
      role: 'member',
      active: true,
      createdAt: at,
      updatedAt: at,
      passwordHash: '$argon2id$v=19$secret',
    };
    const written = compiled(user)(row);
    expect(written).not.toContain('passwordHash');
    expect(written).not.toContain('argon2');
    expect(JSON.parse(written)).toEqual({ ...row, passwordHash: undefined });
    const nested = compiled(taskPage)({ items: [task(1, { search: "'call':1" })], nextCursor: null });
    expect(nested).not.toContain('search');
  });

  it('writes optional fields only when present (a problem without detail or errors)', () => {
    const bare = { type: 'urn:crewdesk:problem:not-found', title: 'Not Found', status: 404 };
    expect(compiled(problem)(bare)).toBe(JSON.stringify(bare));
    const full = { ...bare, detail: 'No such task', errors: [{ path: 'id', message: 'Not a uuid' }] };
    expect(JSON.parse(compiled(problem)(full))).toEqual(full);
  });

  it('refuses to write an answer missing a required field rather than send half of it', () => {
    const { title: _title, ...untitled } = task(1);
    expect(() => compiled(taskPage)({ items: [untitled], nextCursor: null })).toThrow(/title/);
  });

  it('falls back to zod for a schema JSON Schema cannot express', () => {
    const schema = z.object({ at: z.date(), n: z.number() });
    const data = { at: new Date(at), n: 1, extra: true };
    expect(compiled(schema)(data)).toBe(zodWritten(schema, data));
    expect(compileSerializer(schema)(data)).toBe(JSON.stringify({ at, n: 1 }));
  });

  it("turns zod's nullable scalars into a type list and leaves every other anyOf as it is", () => {
    expect(simplifyNullable({ anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] })).toEqual({
      type: ['string', 'null'],
      format: 'date-time',
    });
    const objects = { anyOf: [{ type: 'object', properties: {} }, { type: 'null' }] };
    expect(simplifyNullable(objects)).toEqual(objects);
    const refs = { anyOf: [{ $ref: '#/definitions/Task' }, { type: 'null' }] };
    expect(simplifyNullable(refs)).toEqual(refs);
    // Inside properties, items and definitions too; a property named like a keyword is a property.
    expect(
      simplifyNullable({
        definitions: {
          T: { properties: { description: { anyOf: [{ type: 'string' }, { type: 'null' }] } } },
        },
        items: { anyOf: [{ type: 'number' }, { type: 'null' }] },
      }),
    ).toEqual({
      definitions: { T: { properties: { description: { type: ['string', 'null'] } } } },
      items: { type: ['number', 'null'] },
    });
  });
});
