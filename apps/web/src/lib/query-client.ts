import { QueryClient } from '@tanstack/react-query';
import { ApiError, NetworkError } from './api-errors';

/** The app's client; a function so tests run with the same behaviour on a fresh cache. */
export const createQueryClient = () =>
  new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // Try even when the browser says it is offline: the service worker may answer from its cache.
        networkMode: 'offlineFirst',
        // A 4xx will not change by asking again; network and 5xx errors get two more tries.
        retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
      },
      // A save that could not reach the server waits (paused, and shown as waiting) until the server
      // answers a probe again, then is sent again: creates with the same Idempotency-Key, so never twice.
      mutations: { retry: (count, err) => err instanceof NetworkError && count < 3, retryDelay: 500 },
    },
  });

export const queryClient = createQueryClient();
