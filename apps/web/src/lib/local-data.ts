import { queryClient } from './query-client';

/** The service worker's copies of API answers (see vite.config.ts); they belong to one user. */
export const OFFLINE_CACHES = ['crewdesk-api-tasks'];

/** Forgets everything one user's session fetched, so the next person on this browser sees none of it. */
export async function forgetLocalData() {
  queryClient.clear();
  if (typeof caches !== 'undefined') await Promise.all(OFFLINE_CACHES.map((c) => caches.delete(c))).catch(() => {});
}
