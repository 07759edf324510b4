import type { ReactNode } from 'react';
import { Button } from './button';
import { ErrorState, Spinner } from './states';

/** What a list page needs of its list query (see lib/cursor-list.ts). */
interface ListQuery {
  data: readonly unknown[] | undefined;
  isPending: boolean;
  isError: boolean;
  error: unknown;
  refetch: () => unknown;
}

/**
 * A list's rows, or what stands in for them: a spinner while the first page loads, the failure with
 * a retry, or the empty state. `keepRowsOnError` keeps showing rows already loaded when a refresh
 * fails (the offline-readable lists) instead of the failure.
 */
export function ListStatus({
  list,
  loadingLabel,
  empty,
  keepRowsOnError = false,
  children,
}: {
  list: ListQuery;
  loadingLabel?: string;
  empty: ReactNode;
  keepRowsOnError?: boolean;
  children: ReactNode;
}) {
  const count = list.data?.length ?? 0;
  if (list.isPending) return <Spinner label={loadingLabel} />;
  if (list.isError && !(keepRowsOnError && count > 0))
    return <ErrorState error={list.error} retry={() => void list.refetch()} />;
  if (count === 0) return empty;
  return children;
}

/** The button under a table that asks for the next page, while there is one. */
export function LoadMore({
  list,
}: {
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
}) {
  if (!list.hasNextPage) return null;
  return (
    <Button busy={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
      Load more
    </Button>
  );
}

/** The filter row above a list, found by screen readers as the page's search. */
export function Filters({ children }: { children: ReactNode }) {
  return (
    <div className="filters" role="search">
      {children}
    </div>
  );
}

export function SearchBox({
  label,
  placeholder,
  value,
  onChange,
}: {
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <input
      type="search"
      className="search"
      placeholder={placeholder}
      aria-label={label}
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}
