import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A scrolling list over an infinite query: only the rows in view (plus a few) are in the DOM, each
 * row is measured as it renders, and reaching the end asks for the next page.
 */
export function VirtualList<T extends { id: string }>({
  items,
  label,
  estimateSize,
  hasMore,
  loadingMore,
  loadMore,
  renderItem,
  testId,
  measure = false,
}: {
  items: T[];
  label: string;
  estimateSize: number;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  renderItem: (item: T) => ReactNode;
  testId?: string;
  /** Rows of varying height are measured as they render; fixed-height rows skip the layout reads. */
  measure?: boolean;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: items.length + (hasMore ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => estimateSize,
    overscan: 8,
    initialRect: { width: 800, height: 600 },
  });
  const rows = virtualizer.getVirtualItems();
  const last = rows[rows.length - 1];

  useEffect(() => {
    if (last && last.index >= items.length - 1 && hasMore && !loadingMore) loadMore();
  }, [last, items.length, hasMore, loadingMore, loadMore]);

  return (
    <div ref={scrollRef} className="task-scroll" data-testid={testId}>
      <div role="list" aria-label={label} style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {rows.map((row) => {
          const item = items[row.index];
          return (
            <div
              key={item?.id ?? 'more'}
              ref={measure ? virtualizer.measureElement : undefined}
              data-index={row.index}
              className="virtual-row"
              style={{ transform: `translateY(${row.start}px)`, height: measure ? undefined : row.size }}
            >
              {item ? (
                renderItem(item)
              ) : (
                <div className="list-row loading-row" role="listitem">
                  <span className="spinner spinner-sm" aria-hidden="true" /> Loading more…
                </div>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
