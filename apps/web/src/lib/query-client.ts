import { QueryClient } from '@tanstack/react-query';
import { ApiError } from './api-errors';

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      // Try even when the browser says it is offline: the service worker may answer from its cache.
      networkMode: 'offlineFirst',
      // A 4xx will not change by asking again; network and 5xx errors get two more tries.
      retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
    },
    mutations: { retry: false },
  },
});
