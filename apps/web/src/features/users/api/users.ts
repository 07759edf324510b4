import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateUserBody, Role, UpdateUserBody, User } from '@crewdesk/contracts';
import { api } from '../../../lib/api';
import { useCursorList } from '../../../lib/cursor-list';
import { useCreate } from '../../../lib/use-create';
import { usersKey } from '../../../lib/query-keys';

export const useUsers = (filters: { q?: string; role?: Role }) =>
  useCursorList<User>({ queryKey: [...usersKey, filters], path: '/api/v1/users', query: filters, limit: 50 });

export function useCreateUser() {
  const qc = useQueryClient();
  return useCreate({
    create: (body: CreateUserBody, idempotencyKey: string) =>
      api<User>('/api/v1/users', { method: 'POST', body, idempotencyKey }),
    onSuccess: () => qc.invalidateQueries({ queryKey: usersKey }),
  });
}

export function useUpdateUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: UpdateUserBody }) =>
      api<User>(`/api/v1/users/${id}`, { method: 'PATCH', body: patch }),
    onSuccess: () => qc.invalidateQueries({ queryKey: usersKey }),
  });
}
