import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateTaskBody, Task, UpdateTaskBody } from '@crewdesk/contracts';
import { api } from '../../../lib/api';
import { statsKey } from '../../../lib/query-keys';
import { tasksKey, type TaskPages } from './list-tasks';

function useInvalidateTasks() {
  const qc = useQueryClient();
  return () =>
    Promise.all([qc.invalidateQueries({ queryKey: tasksKey }), qc.invalidateQueries({ queryKey: statsKey })]);
}

export function useCreateTask() {
  const invalidate = useInvalidateTasks();
  return useMutation({
    mutationFn: (body: Partial<CreateTaskBody> & { title: string }) =>
      api<Task>('/api/v1/tasks', { method: 'POST', body }),
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
      await qc.cancelQueries({ queryKey: tasksKey });
      const snapshot = qc.getQueriesData<TaskPages>({ queryKey: [...tasksKey, 'list'] });
      const next = task.status === 'completed' ? 'pending' : 'completed';
      qc.setQueriesData<TaskPages>({ queryKey: [...tasksKey, 'list'] }, (data) =>
        data
          ? {
              ...data,
              pages: data.pages.map((p) => ({
                ...p,
                items: p.items.map((t) => (t.id === task.id ? { ...t, status: next } : t)),
              })),
            }
          : data,
      );
      return { snapshot };
    },
    onError: (_err, _task, context) => {
      for (const [key, data] of context?.snapshot ?? []) qc.setQueryData(key, data);
    },
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
