import { QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { beforeEach, describe, expect, it } from 'vitest';
import { json, stubFetch, testQueryClient } from '../../test/utils';
import { fetchAllPages, updateListItem, useCursorList, type CursorPages } from './cursor-list';
import { setAccessToken } from './session';

type Row = { id: string; name: string };
const rows = (from: number, n: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({ id: `r${from + i}`, name: `Row ${from + i}` }));

/** Two pages, the cursor being where the second one starts. */
const twoPages = () =>
  stubFetch((req) =>
    req.url.searchParams.get('cursor') === 'p2'
      ? json(200, { items: rows(3, 1), nextCursor: null })
      : json(200, { items: rows(1, 2), nextCursor: 'p2' }),
  );

beforeEach(() => setAccessToken('token'));

describe('a cursor list', () => {
  it('asks for the first page with the filters and the page size, then the next one with its cursor, and lists every item', async () => {
    const { requests } = twoPages();
    const client = testQueryClient();
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryClientProvider client={client}>{children}</QueryClientProvider>
    );
    const { result } = renderHook(
      () =>
        useCursorList<Row>({ queryKey: ['rows'], path: '/api/v1/rows', query: { q: 'x', role: undefined }, limit: 2 }),
      { wrapper },
    );

    await waitFor(() => expect(result.current.data).toEqual(rows(1, 2)));
    expect(result.current.hasNextPage).toBe(true);
    await act(() => result.current.fetchNextPage());

    await waitFor(() => expect(result.current.data).toEqual(rows(1, 3)));
    expect(result.current.hasNextPage).toBe(false);
    expect(requests.map((r) => r.url.search)).toEqual(['?q=x&limit=2', '?q=x&limit=2&cursor=p2']);
  });

  it('reads every page for a picker', async () => {
    twoPages();
    await expect(fetchAllPages<Row>('/api/v1/rows', { active: true }, 2)).resolves.toEqual(rows(1, 3));
  });

  it('changes an item in every loaded list at once, and puts the lists back when asked', async () => {
    const client = testQueryClient();
    const pages: CursorPages<Row> = { pages: [{ items: rows(1, 2), nextCursor: null }], pageParams: [null] };
    client.setQueryData(['rows', 'list', { q: '' }], pages);
    client.setQueryData(['rows', 'list', { q: 'Row' }], pages);

    const restore = await updateListItem<Row>(client, ['rows', 'list'], 'r2', (r) => ({ ...r, name: 'Changed' }));
    const names = () =>
      client
        .getQueriesData<CursorPages<Row>>({ queryKey: ['rows', 'list'] })
        .map(([, data]) => data?.pages[0]?.items.map((r) => r.name));
    expect(names()).toEqual([
      ['Row 1', 'Changed'],
      ['Row 1', 'Changed'],
    ]);

    restore();
    expect(names()).toEqual([
      ['Row 1', 'Row 2'],
      ['Row 1', 'Row 2'],
    ]);
  });
});
