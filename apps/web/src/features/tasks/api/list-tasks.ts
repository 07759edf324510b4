import { useInfiniteQuery, type InfiniteData } from '@tanstack/react-query';
import type { Task } from '@crewdesk/contracts';
import { api } from '../../../lib/api';
import { tasksKey } from '../../../lib/query-keys';

export { tasksKey };

export interface TaskFilters {
  q?: string;
  status?: 'pending' | 'completed';
  priority?: 'low' | 'medium' | 'high';
  dueBefore?: string;
  dueAfter?: string;
  sort?: string;
}
export interface TaskPage {
  items: Task[];
  nextCursor: string | null;
}
export type TaskPages = InfiniteData<TaskPage, string | null>;

export const PAGE_SIZE = 50;
export const taskListKey = (filters: TaskFilters) => [...tasksKey, 'list', filters] as const;

export function useTaskList(filters: TaskFilters, enabled = true) {
  return useInfiniteQuery({
    queryKey: taskListKey(filters),
    queryFn: ({ pageParam, signal }) =>
      api<TaskPage>('/api/v1/tasks', { query: { ...filters, limit: PAGE_SIZE, cursor: pageParam }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    enabled,
  });
}
