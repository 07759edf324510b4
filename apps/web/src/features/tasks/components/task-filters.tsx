import { Button } from '../../../components/button';
import { Filters, SearchBox } from '../../../components/list';

export interface FilterState {
  q: string;
  status: string;
  priority: string;
  due: string;
  sort: string;
}

export function TaskFiltersBar({
  value,
  onChange,
  onExport,
  exporting,
  offline = false,
}: {
  value: FilterState;
  onChange: (patch: Partial<FilterState>) => void;
  onExport: () => void;
  exporting: boolean;
  offline?: boolean;
}) {
  return (
    <Filters>
      <SearchBox label="Search tasks" placeholder="Search tasks…" value={value.q} onChange={(q) => onChange({ q })} />
      <select aria-label="Status" value={value.status} onChange={(e) => onChange({ status: e.target.value })}>
        <option value="">All statuses</option>
        <option value="pending">Pending</option>
        <option value="completed">Completed</option>
      </select>
      <select aria-label="Priority" value={value.priority} onChange={(e) => onChange({ priority: e.target.value })}>
        <option value="">All priorities</option>
        <option value="high">High</option>
        <option value="medium">Medium</option>
        <option value="low">Low</option>
      </select>
      <select aria-label="Due" value={value.due} onChange={(e) => onChange({ due: e.target.value })}>
        <option value="">Any due date</option>
        <option value="overdue">Overdue</option>
        <option value="today">Due today</option>
        <option value="week">Due in 7 days</option>
      </select>
      <select aria-label="Sort" value={value.sort} onChange={(e) => onChange({ sort: e.target.value })}>
        <option value="">{value.q ? 'Best match' : 'Newest first'}</option>
        <option value="createdAt">Oldest first</option>
        <option value="dueDate">Due date</option>
        <option value="-priority">Priority</option>
        <option value="title">Title A–Z</option>
      </select>
      <Button onClick={onExport} busy={exporting} disabled={offline} title={offline ? 'Needs a connection' : undefined}>
        Export CSV
      </Button>
    </Filters>
  );
}

/** The due filter as the API's range parameters, in the user's own days. */
export function dueRange(due: string): { dueBefore?: string; dueAfter?: string } {
  const now = new Date();
  const startOfDay = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const endOfDay = new Date(startOfDay.getTime() + 86_400_000 - 1);
  if (due === 'overdue') return { dueBefore: now.toISOString() };
  if (due === 'today') return { dueAfter: startOfDay.toISOString(), dueBefore: endOfDay.toISOString() };
  if (due === 'week')
    return {
      dueAfter: startOfDay.toISOString(),
      dueBefore: new Date(endOfDay.getTime() + 6 * 86_400_000).toISOString(),
    };
  return {};
}
