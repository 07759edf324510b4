import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoFromPg, isoFromPgOrNull } from './time.js';

/** A time written as PostgreSQL writes a timestamptz (DateStyle ISO): fraction without trailing zeros, offset as the session's zone has it. */
function pgText(ms: number, micros: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString(); // the wall time in that zone
  const fraction = `${local.slice(20, 23)}${String(micros).padStart(3, '0')}`.replace(/0+$/, '');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hours = String(Math.floor(abs / 60)).padStart(2, '0');
  const offset = abs % 60 ? `${sign}${hours}:${String(abs % 60).padStart(2, '0')}` : `${sign}${hours}`;
  return `${local.slice(0, 10)} ${local.slice(11, 19)}${fraction ? `.${fraction}` : ''}${offset}`;
}

const instant = fc.integer({ min: Date.UTC(1, 0, 2), max: Date.UTC(9999, 11, 30) });

describe('isoFromPg', () => {
  it('writes a UTC timestamptz text exactly as a Date read from it writes itself (milliseconds truncated, Z)', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 999 }), (ms, micros) => {
        const text = pgText(ms, micros, 0);
        expect(text.endsWith('+00')).toBe(true);
        expect(isoFromPg(text)).toBe(new Date(text).toISOString());
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads times in another session time zone, and years past 9999, as the same instant a Date reads', () => {
    fc.assert(
      fc.property(
        instant,
        fc.integer({ min: 0, max: 999 }),
        fc.constantFrom(60, 330, -180, -210, 765, -600),
        (ms, micros, offset) => {
          const text = pgText(ms, micros, offset);
          expect(isoFromPg(text)).toBe(new Date(ms).toISOString());
        },
      ),
      { numRuns: 500 },
    );
    expect(isoFromPg('10000-01-01 00:00:00+00')).toBe('+010000-01-01T00:00:00.000Z');
  });

  it('keeps whole seconds, single fraction digits and small years as a Date writes them', () => {
    expect(isoFromPg('2026-12-03 18:13:03+00')).toBe('2026-12-03T18:13:03.000Z');
    expect(isoFromPg('2026-12-03 18:13:03.1+00')).toBe('2026-12-03T18:13:03.100Z');
    expect(isoFromPg('2026-12-03 18:13:03.123999+00')).toBe('2026-12-03T18:13:03.123Z');
    expect(isoFromPg('0999-01-01 00:00:00+00')).toBe('0999-01-01T00:00:00.000Z');
    expect(isoFromPgOrNull(null)).toBeNull();
  });
});
