import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Session, UpdateMeBody, User } from '@crewdesk/contracts';
import { api } from '../../../lib/api';
import { sessionStore } from '../../../lib/session';

const sessionsKey = ['my-sessions'] as const;

export function useUpdateProfile() {
  return useMutation({
    mutationFn: (body: UpdateMeBody) => api<User>('/api/v1/me', { method: 'PATCH', body }),
    onSuccess: (user) => sessionStore.set({ ...sessionStore.get(), user }),
  });
}

export const useChangePassword = () =>
  useMutation({
    mutationFn: (body: { currentPassword: string; newPassword: string }) =>
      api<void>('/api/v1/me/password', { method: 'POST', body }),
  });

export const useMySessions = () =>
  useQuery({ queryKey: sessionsKey, queryFn: () => api<{ items: Session[] }>('/api/v1/me/sessions') });

export function useRevokeSession() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/v1/me/sessions/${id}`, { method: 'DELETE' }),
    onSuccess: () => qc.invalidateQueries({ queryKey: sessionsKey }),
  });
}
