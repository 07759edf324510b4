import { useSyncExternalStore } from 'react';
import type { User } from '@crewdesk/contracts';

export type SessionStatus = 'loading' | 'authenticated' | 'anonymous' | 'offline';
export interface SessionState {
  status: SessionStatus;
  user: User | null;
}

/**
 * The signed-in state. The access token lives in this module's memory only — never in storage —
 * so a reload asks the server again through the HttpOnly refresh cookie.
 */
let state: SessionState = { status: 'loading', user: null };
let accessToken: string | null = null;
let tokenVersion = 0;
const listeners = new Set<() => void>();

export const sessionStore = {
  get: () => state,
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
  set(next: SessionState) {
    state = next;
    for (const l of listeners) l();
  },
};

export function useSession(): SessionState {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.get, sessionStore.get);
}

export const getAccessToken = () => accessToken;
export const getTokenVersion = () => tokenVersion;
export function setAccessToken(token: string | null) {
  accessToken = token;
  tokenVersion++;
}
