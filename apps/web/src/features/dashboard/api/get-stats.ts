import { useQuery } from '@tanstack/react-query';
import type { TaskStats } from '@crewdesk/contracts';
import { api } from '../../../lib/api';

import { statsKey } from '../../../lib/query-keys';

export const useTaskStats = () =>
  useQuery({ queryKey: statsKey, queryFn: ({ signal }) => api<TaskStats>('/api/v1/tasks/stats', { signal }) });
