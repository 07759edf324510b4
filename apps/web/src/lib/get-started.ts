import { useSyncExternalStore } from 'react';

/**
 * Whether an admin closed the "Get started" checklist, per user and per browser (localStorage):
 * it is a nudge, not a setting, so it lives where the nudge is shown.
 */
const storageKey = (userId: string) => `crewdesk:get-started-dismissed:${userId}`;
const listeners = new Set<() => void>();

function subscribe(callback: () => void) {
  listeners.add(callback);
  window.addEventListener('storage', callback);
  return () => {
    listeners.delete(callback);
    window.removeEventListener('storage', callback);
  };
}

function read(userId: string | undefined): boolean {
  if (!userId) return false;
  try {
    return localStorage.getItem(storageKey(userId)) === '1';
  } catch {
    return false;
  }
}

export function setGetStartedDismissed(userId: string, dismissed: boolean) {
  try {
    if (dismissed) localStorage.setItem(storageKey(userId), '1');
    else localStorage.removeItem(storageKey(userId));
  } catch {
    // Storage refused (private mode): the checklist simply comes back next time.
  }
  for (const listener of listeners) listener();
}

export const useGetStartedDismissed = (userId: string | undefined) =>
  useSyncExternalStore(
    subscribe,
    () => read(userId),
    () => false,
  );
