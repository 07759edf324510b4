import { apiResponse } from '../../../lib/api';
import type { TaskFilters } from './list-tasks';

/** Downloads the CSV through the authenticated client, then hands it to the browser as a file. */
export async function exportTasks(filters: TaskFilters) {
  const res = await apiResponse('/api/v1/tasks/export', {
    query: { q: filters.q, status: filters.status, priority: filters.priority },
  });
  const blob = await res.blob();
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'crewdesk-tasks.csv';
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
