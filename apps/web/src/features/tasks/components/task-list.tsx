import type { Task } from '@crewdesk/contracts';
import { VirtualList } from '../../../components/virtual-list';
import { TaskRow } from './task-row';

const ROW_HEIGHT = 72;

/** 10,000 tasks scroll like 10: only the rows in view are in the DOM. */
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
  return (
    <VirtualList
      items={tasks}
      label="Tasks"
      testId="task-scroll"
      estimateSize={ROW_HEIGHT}
      hasMore={hasMore}
      loadingMore={loadingMore}
      loadMore={loadMore}
      renderItem={(task) => (
        <TaskRow
          task={task}
          selected={selected.has(task.id)}
          readOnly={readOnly}
          onSelect={onSelect}
          onToggle={onToggle}
          onEdit={onEdit}
          onDelete={onDelete}
        />
      )}
    />
  );
}
