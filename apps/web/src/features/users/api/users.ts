import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateUserBody, Role, UpdateUserBody, User } from '@crewdesk/contracts';
import { api } from '../../../lib/api';
import { usersKey } from '../../../lib/query-keys';

export function useUsers(filters: { q?: string; role?: Role }) {
  return useInfiniteQuery({
    queryKey: [...usersKey, filters],
    queryFn: ({ pageParam, signal }) =>
      api<{ items: User[]; nextCursor: string | null }>('/api/v1/users', {
        query: { ...filters, limit: 50, cursor: pageParam },
        signal,
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
}

export function useCreateUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateUserBody) => api<User>('/api/v1/users', { method: 'POST', body }),
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
