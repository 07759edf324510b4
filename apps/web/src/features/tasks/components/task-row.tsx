import type { Task } from '@crewdesk/contracts';
import { memo } from 'react';
import { formatDate } from '../../../lib/format';
import { LeadLink } from '../../leads';

const priorityLabel = { high: 'High', medium: 'Medium', low: 'Low' } as const;

export const TaskRow = memo(function TaskRow({
  task,
  selected,
  readOnly,
  onSelect,
  onToggle,
  onEdit,
  onDelete,
}: {
  task: Task;
  selected: boolean;
  readOnly: boolean;
  onSelect: (task: Task) => void;
  onToggle: (task: Task) => void;
  onEdit: (task: Task) => void;
  onDelete: (task: Task) => void;
}) {
  const done = task.status === 'completed';
  const overdue = !done && task.dueDate !== null && new Date(task.dueDate) < new Date();
  return (
    <div
      className={`task-row ${done ? 'done' : ''} ${selected ? 'selected' : ''}`}
      role="listitem"
      data-testid="task-row"
    >
      <input
        type="checkbox"
        className="select-box"
        checked={selected}
        onChange={() => onSelect(task)}
        aria-label={`Select “${task.title}”`}
      />
      <button
        type="button"
        className={`check ${done ? 'checked' : ''}`}
        aria-pressed={done}
        aria-label={done ? `Reopen “${task.title}”` : `Complete “${task.title}”`}
        disabled={readOnly}
        onClick={() => onToggle(task)}
      >
        <svg viewBox="0 0 16 16" aria-hidden="true">
          <path d="M3 8.5l3 3 7-7" />
        </svg>
      </button>
      <div className="task-main">
        <button type="button" className="task-title" onClick={() => onEdit(task)} disabled={readOnly}>
          {task.title}
        </button>
        {task.description && <p className="task-desc">{task.description}</p>}
        {task.leadId && <LeadLink leadId={task.leadId} />}
      </div>
      <div className="task-meta">
        <span className={`badge badge-${task.priority}`}>{priorityLabel[task.priority]}</span>
        {task.dueDate && (
          <span className={`due ${overdue ? 'overdue' : ''}`}>
            {overdue ? 'Overdue · ' : 'Due '}
            {formatDate(task.dueDate)}
          </span>
        )}
      </div>
      <button
        type="button"
        className="icon-btn"
        aria-label={`Delete “${task.title}”`}
        disabled={readOnly}
        onClick={() => onDelete(task)}
      >
        <svg viewBox="0 0 16 16" aria-hidden="true">
          <path d="M3 4h10M6 4V2.5h4V4M4.5 4l.7 9.5h5.6l.7-9.5" />
        </svg>
      </button>
    </div>
  );
});
