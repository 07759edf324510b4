import { downloadCsv } from '../../../lib/download';
import type { TaskFilters } from './list-tasks';

export const exportTasks = (filters: TaskFilters) =>
  downloadCsv(
    '/api/v1/tasks/export',
    {
      q: filters.q,
      status: filters.status,
      priority: filters.priority,
      dueBefore: filters.dueBefore,
      dueAfter: filters.dueAfter,
    },
    'crewdesk-tasks.csv',
  );
