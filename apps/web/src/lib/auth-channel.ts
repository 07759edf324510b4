import { setAccessToken } from './session';

/** What one tab tells the others about the session: a new token, a sign-out, a sign-in. */
export type AuthMessage = { type: 'token'; token: string } | { type: 'signed-out' } | { type: 'signed-in' };

const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('crewdesk-auth');
const listeners = new Set<(m: AuthMessage) => void>();
channel?.addEventListener('message', (event: MessageEvent<AuthMessage>) => {
  if (event.data.type === 'token') setAccessToken(event.data.token);
  for (const l of listeners) l(event.data);
});

export function onAuthMessage(listener: (m: AuthMessage) => void) {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function broadcast(message: AuthMessage) {
  channel?.postMessage(message);
}
