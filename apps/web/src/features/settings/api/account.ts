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

/** The other devices are signed out by a password change: the sessions list is refetched to show it. */
export function useChangePassword() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { currentPassword: string; newPassword: string }) =>
      api<void>('/api/v1/me/password', { method: 'POST', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: sessionsKey }),
  });
}

export const useMySessions = () =>
  useQuery({ queryKey: sessionsKey, queryFn: () => api<{ items: Session[] }>('/api/v1/me/sessions') });

export function useRevokeSession() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/v1/me/sessions/${id}`, { method: 'DELETE' }),
    onSuccess: () => qc.invalidateQueries({ queryKey: sessionsKey }),
  });
}
