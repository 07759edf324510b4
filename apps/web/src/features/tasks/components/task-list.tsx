import type { Task } from '@crewdesk/contracts';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import { TaskRow } from './task-row';

const ROW_HEIGHT = 72;

/**
 * Only the rows in view (plus a few) are in the DOM, so 10,000 tasks scroll like 10. Reaching the
 * end loads the next page from the cursor API.
 */
export function TaskList({
  tasks,
  hasMore,
  loadingMore,
  loadMore,
  selected,
  readOnly,
  onSelect,
  onToggle,
  onEdit,
  onDelete,
}: {
  tasks: Task[];
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  selected: Set<string>;
  readOnly: boolean;
  onSelect: (task: Task) => void;
  onToggle: (task: Task) => void;
  onEdit: (task: Task) => void;
  onDelete: (task: Task) => void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: tasks.length + (hasMore ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    initialRect: { width: 800, height: 600 },
  });
  const items = virtualizer.getVirtualItems();
  const last = items[items.length - 1];

  useEffect(() => {
    if (last && last.index >= tasks.length - 1 && hasMore && !loadingMore) loadMore();
  }, [last, tasks.length, hasMore, loadingMore, loadMore]);

  return (
    <div ref={scrollRef} className="task-scroll" data-testid="task-scroll">
      <div role="list" aria-label="Tasks" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {items.map((item) => {
          const task = tasks[item.index];
          return (
            <div
              key={task?.id ?? 'more'}
              className="virtual-row"
              style={{ transform: `translateY(${item.start}px)`, height: item.size }}
            >
              {task ? (
                <TaskRow
                  task={task}
                  selected={selected.has(task.id)}
                  readOnly={readOnly}
                  onSelect={onSelect}
                  onToggle={onToggle}
                  onEdit={onEdit}
                  onDelete={onDelete}
                />
              ) : (
                <div className="task-row loading-row" role="listitem">
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
