import { useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api';

export interface SetupStatus {
  setupRequired: boolean;
  registrationOpen: boolean;
}

export const setupStatusQuery = {
  queryKey: ['setup-status'],
  queryFn: () => api<SetupStatus>('/api/v1/auth/setup-status'),
  staleTime: 60_000,
};

export const useSetupStatus = () => useQuery(setupStatusQuery);
