export const iso = (d: Date) => d.toISOString();
export const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * A timestamptz as PostgreSQL writes it (DateStyle ISO) in the API's form, what `iso` writes for the
 * same instant: milliseconds, truncated as a Date truncates them, and `Z`. In UTC
 * (`2026-12-03 18:13:03.123456+00`, how the embedded server and the usual managed ones run) that is
 * a rearrangement of the text; any other form (another time zone, a year past 9999, BC) is read as
 * a Date, as before. The hot lists read times this way: a Date made and written out again per
 * timestamp was ~6 % of a cursor page's CPU.
 */
export function isoFromPg(text: string): string {
  const n = text.length;
  // 'YYYY-MM-DD HH:MM:SS' + an optional '.' and 1–6 digits + '+00'
  if (
    n >= 22 &&
    n <= 29 &&
    n !== 23 &&
    text.charCodeAt(4) === 45 &&
    text.charCodeAt(10) === 32 &&
    (n === 22 || text.charCodeAt(19) === 46) &&
    text.endsWith('+00')
  ) {
    const fraction =
      n === 22
        ? '000'
        : text
            .slice(20, n - 3)
            .padEnd(3, '0')
            .slice(0, 3);
    return `${text.slice(0, 10)}T${text.slice(11, 19)}.${fraction}Z`;
  }
  return new Date(text).toISOString();
}

export const isoFromPgOrNull = (text: string | null) => (text === null ? null : isoFromPg(text));
