import { fieldError } from './errors.js';

/** Keyset cursors: the sort value and id of the last row, opaque to clients. */
export type CursorValue = string | number | null;

export function encodeCursor(value: CursorValue, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { value: CursorValue; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      (parsed[0] === null || ['string', 'number'].includes(typeof parsed[0])) &&
      typeof parsed[1] === 'string' &&
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(parsed[1])
    ) {
      return { value: parsed[0] as CursorValue, id: parsed[1] };
    }
  } catch {
    // fall through to the validation error
  }
  throw fieldError('cursor', 'Not a cursor this API issued', 'Query parameter is invalid');
}

/** Fetch limit + 1 rows; the extra one only says whether another page exists. */
export function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, cursorOf: (row: R) => string) {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  return {
    items: pageRows.map(map),
    nextCursor: more ? cursorOf(pageRows[pageRows.length - 1] as R) : null,
  };
}

/**
 * Walks a whole result in id order, one batch at a time, so an export of any size holds one batch
 * in memory. `fetch` answers up to `size` rows after `afterId` (null: from the start).
 */
export async function* inBatches<T extends { id: string }>(
  fetch: (afterId: string | null, size: number) => Promise<T[]>,
  size = 1000,
): AsyncGenerator<T[]> {
  let afterId: string | null = null;
  for (;;) {
    const batch = await fetch(afterId, size);
    if (batch.length > 0) yield batch;
    if (batch.length < size) return;
    afterId = batch[batch.length - 1]!.id;
  }
}
