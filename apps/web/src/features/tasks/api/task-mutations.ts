import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateTaskBody, Task, UpdateTaskBody } from '@crewdesk/contracts';
import { api } from '../../../lib/api';
import { updateListItem } from '../../../lib/cursor-list';
import { useCreate } from '../../../lib/use-create';
import { statsKey, tasksKey } from '../../../lib/query-keys';
import { taskListsKey } from './list-tasks';

function useInvalidateTasks() {
  const qc = useQueryClient();
  return () =>
    Promise.all([qc.invalidateQueries({ queryKey: tasksKey }), qc.invalidateQueries({ queryKey: statsKey })]);
}

export function useCreateTask() {
  const invalidate = useInvalidateTasks();
  return useCreate({
    create: (body: Partial<CreateTaskBody> & { title: string }, idempotencyKey: string) =>
      api<Task>('/api/v1/tasks', { method: 'POST', body, idempotencyKey }),
    onSuccess: invalidate,
  });
}

export function useUpdateTask() {
  const invalidate = useInvalidateTasks();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: UpdateTaskBody }) =>
      api<Task>(`/api/v1/tasks/${id}`, { method: 'PATCH', body: patch }),
    onSuccess: invalidate,
  });
}

/** Ticking a task shows at once; if the server refuses, the list goes back as it was. */
export function useToggleTask() {
  const qc = useQueryClient();
  const invalidate = useInvalidateTasks();
  return useMutation({
    mutationFn: (task: Task) =>
      api<Task>(`/api/v1/tasks/${task.id}`, {
        method: 'PATCH',
        body: { status: task.status === 'completed' ? 'pending' : 'completed' },
      }),
    onMutate: async (task) => {
      const status = task.status === 'completed' ? 'pending' : 'completed';
      return { restore: await updateListItem<Task>(qc, taskListsKey, task.id, (t) => ({ ...t, status })) };
    },
    onError: (_err, _task, context) => context?.restore(),
    onSettled: invalidate,
  });
}

export function useDeleteTask() {
  const invalidate = useInvalidateTasks();
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/v1/tasks/${id}`, { method: 'DELETE' }),
    onSuccess: invalidate,
  });
}

export function useBulkTasks() {
  const invalidate = useInvalidateTasks();
  return useMutation({
    mutationFn: (body: { ids: string[]; action: 'complete' | 'reopen' | 'delete' }) =>
      api<{ count: number }>('/api/v1/tasks/bulk', { method: 'POST', body }),
    onSuccess: invalidate,
  });
}
