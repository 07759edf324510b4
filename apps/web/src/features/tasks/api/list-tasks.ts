import type { Task } from '@crewdesk/contracts';
import { useCursorList } from '../../../lib/cursor-list';
import { tasksKey } from '../../../lib/query-keys';

export interface TaskFilters {
  q?: string;
  status?: 'pending' | 'completed';
  priority?: 'low' | 'medium' | 'high';
  dueBefore?: string;
  dueAfter?: string;
  sort?: string;
}

export const PAGE_SIZE = 50;
export const taskListsKey = [...tasksKey, 'list'] as const;

export const useTaskList = (filters: TaskFilters, enabled = true) =>
  useCursorList<Task>({
    queryKey: [...taskListsKey, filters],
    path: '/api/v1/tasks',
    query: { ...filters },
    limit: PAGE_SIZE,
    enabled,
  });
