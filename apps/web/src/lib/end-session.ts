import { broadcast } from './auth-channel';
import { forgetLocalData } from './local-data';
import { sessionStore, setAccessToken } from './session';

/**
 * Why a session ends: the user signed out here (the other tabs are told), another tab signed out
 * (they already were), or the server refused to refresh it (revoked or expired; the other tabs share
 * the refresh cookie and find out with their next request).
 */
export type SessionEnd = 'signed-out' | 'other-tab' | 'refused';

/**
 * The one way a session ends. The token goes first, so nothing more is sent with it; then what this
 * user's session fetched, so the next person on this browser sees none of it; then the signed-out
 * state, on which the router shows the sign-in page.
 */
export async function endSession(reason: SessionEnd) {
  setAccessToken(null);
  await forgetLocalData();
  sessionStore.set({ status: 'anonymous', user: null });
  if (reason === 'signed-out') broadcast({ type: 'signed-out' });
}
