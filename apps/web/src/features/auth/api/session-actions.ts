import type { AuthResponse, LoginBody, RegisterBody, SetupBody, User } from '@crewdesk/contracts';
import { api, API_URL, authRequest, broadcast, NetworkError, refreshAccessToken } from '../../../lib/api';
import { CLIENT_ID, CLIENT_ID_HEADER } from '../../../lib/client-id';
import { forgetLocalData } from '../../../lib/local-data';
import { getAccessToken, sessionStore, setAccessToken } from '../../../lib/session';

async function signedIn(result: AuthResponse) {
  // Whatever an earlier user of this browser left in the caches is not this user's.
  await forgetLocalData();
  setAccessToken(result.accessToken);
  sessionStore.set({ status: 'authenticated', user: result.user });
  broadcast({ type: 'signed-in' });
  return result.user;
}

export const signIn = async (body: LoginBody) => signedIn(await authRequest<AuthResponse>('/api/v1/auth/login', body));
export const register = async (body: RegisterBody) =>
  signedIn(await authRequest<AuthResponse>('/api/v1/auth/register', body));
export const setupFirstAdmin = async (body: SetupBody) =>
  signedIn(await authRequest<AuthResponse>('/api/v1/auth/setup', body));

/** On load: the refresh cookie, if any, becomes an access token and a profile. */
export async function restoreSession(): Promise<void> {
  try {
    if (!(await refreshAccessToken())) {
      sessionStore.set({ status: 'anonymous', user: null });
      return;
    }
    const user = await api<User>('/api/v1/me');
    sessionStore.set({ status: 'authenticated', user });
  } catch (err) {
    // Unreachable server: show what the service worker kept, read-only, until the network is back.
    sessionStore.set({ status: err instanceof NetworkError ? 'offline' : 'anonymous', user: null });
  }
}

export async function signOut(everywhere = false) {
  const token = getAccessToken();
  try {
    if (everywhere) await api('/api/v1/auth/logout-all', { method: 'POST' });
    else
      await fetch(`${API_URL}/api/v1/auth/logout`, {
        method: 'POST',
        credentials: 'include',
        headers: { [CLIENT_ID_HEADER]: CLIENT_ID, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
  } catch {
    // Signing out locally still matters when the server cannot be reached.
  }
  setAccessToken(null);
  await forgetLocalData();
  sessionStore.set({ status: 'anonymous', user: null });
  broadcast({ type: 'signed-out' });
}

/** Another tab signed out or in: follow it. */
export async function followOtherTab(type: 'signed-out' | 'signed-in') {
  if (type === 'signed-out') {
    setAccessToken(null);
    await forgetLocalData();
    sessionStore.set({ status: 'anonymous', user: null });
  } else if (sessionStore.get().status !== 'authenticated') {
    await restoreSession();
  }
}
