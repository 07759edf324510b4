import type { AuthResponse, LoginBody, RegisterBody, SetupBody, User } from '@crewdesk/contracts';
import { refreshAccessToken } from '../../../lib/access-token';
import { api, authRequest } from '../../../lib/api';
import { NetworkError } from '../../../lib/api-errors';
import { broadcast } from '../../../lib/auth-channel';
import { endSession } from '../../../lib/end-session';
import { forgetLocalData } from '../../../lib/local-data';
import { sessionStore, setAccessToken } from '../../../lib/session';

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
  try {
    await api(everywhere ? '/api/v1/auth/logout-all' : '/api/v1/auth/logout', { method: 'POST' });
  } catch {
    // Signing out locally still matters when the server cannot be reached.
  }
  await endSession('signed-out');
}

/** Another tab signed out or in: follow it. */
export async function followOtherTab(type: 'signed-out' | 'signed-in') {
  if (type === 'signed-out') await endSession('other-tab');
  else if (sessionStore.get().status !== 'authenticated') await restoreSession();
}
