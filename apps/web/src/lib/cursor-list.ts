import { useInfiniteQuery, type InfiniteData, type QueryClient, type QueryKey } from '@tanstack/react-query';
import { api } from './api';
import type { Query } from './http';

/** One page of a list endpoint (keyset pagination): `nextCursor` is null on the last page. */
export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}
export type CursorPages<T> = InfiniteData<CursorPage<T>, string | null>;

// Module-level, so the query keeps the flattened list until the pages change.
const allItems = <T>(data: CursorPages<T>) => data.pages.flatMap((p) => p.items);

/**
 * A list endpoint read a page at a time (as the user scrolls or asks for more); `data` is every item
 * loaded so far, in order. The pages themselves stay in the cache under `queryKey`.
 */
export function useCursorList<T>({
  queryKey,
  path,
  query,
  limit,
  enabled = true,
}: {
  queryKey: QueryKey;
  path: string;
  query: Query;
  limit: number;
  enabled?: boolean;
}) {
  return useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam, signal }) =>
      api<CursorPage<T>>(path, { query: { ...query, limit, cursor: pageParam }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    select: allItems<T>,
    enabled,
  });
}

/** Every page of a list endpoint, one after another: for pickers that need the whole list. */
export async function fetchAllPages<T>(path: string, query: Query, limit: number): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | null = null;
  do {
    const page: CursorPage<T> = await api<CursorPage<T>>(path, { query: { ...query, limit, cursor } });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/**
 * Changes one item at once in every loaded list under `queryKey`, before the server answers; returns
 * how to put the lists back if it refuses.
 */
export async function updateListItem<T extends { id: string }>(
  qc: QueryClient,
  queryKey: QueryKey,
  id: string,
  change: (item: T) => T,
): Promise<() => void> {
  await qc.cancelQueries({ queryKey });
  const snapshot = qc.getQueriesData<CursorPages<T>>({ queryKey });
  qc.setQueriesData<CursorPages<T>>({ queryKey }, (data) =>
    data
      ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map((i) => (i.id === id ? change(i) : i)) })) }
      : data,
  );
  return () => {
    for (const [key, data] of snapshot) qc.setQueryData(key, data);
  };
}
