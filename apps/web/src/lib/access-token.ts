import { ApiError } from './api-errors';
import { broadcast } from './auth-channel';
import { endSession } from './end-session';
import { API_URL, problemOf, send } from './http';
import { getAccessToken, getTokenVersion, setAccessToken } from './session';

let refreshing: Promise<boolean> | null = null;

/**
 * Trade the refresh cookie for a new access token. One refresh at a time: in this tab through a
 * shared promise, across tabs through a Web Lock; a tab that waited for the lock reuses the token
 * the other tab broadcast instead of rotating the cookie again.
 */
export function refreshAccessToken(sentWith?: number): Promise<boolean> {
  refreshing ??= (async () => {
    // A request sent with an older token than the current one only needs a retry, not a refresh.
    const before = sentWith ?? getTokenVersion();
    const run = async () => {
      if (getTokenVersion() !== before && getAccessToken()) return true;
      const res = await send(`${API_URL}/api/v1/auth/refresh`, { method: 'POST' });
      // Only 401 means the session is over; a server error or a rate limit leaves it as it is.
      if (res.status === 401) return false;
      if (!res.ok) throw new ApiError(res.status, await problemOf(res));
      const body = (await res.json()) as { accessToken: string };
      setAccessToken(body.accessToken);
      broadcast({ type: 'token', token: body.accessToken });
      return true;
    };
    try {
      return typeof navigator !== 'undefined' && navigator.locks
        ? await navigator.locks.request('crewdesk-refresh', run)
        : await run();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export interface WithAccessTokenOptions<R> {
  /** False for the auth endpoints: their 401 is an answer (wrong password), not an expired token. */
  refresh?: boolean;
  /** Lets go of a 401 answer that will not be read (a stream's body). */
  release?: (res: R) => void;
  /** Aborted while the token was being refreshed: no retry, and the session is left as it is. */
  signal?: AbortSignal;
}

/**
 * The one place a request gets the access token, and the one refresh-and-retry on 401: `attempt`
 * sends the request with the headers given (fetch, XHR, the event stream). A 401 refreshes the token
 * once and retries once; a 401 after that, or a refused refresh, ends the session. Returns the last
 * answer, whatever its status.
 */
export async function withAccessToken<R extends { status: number }>(
  attempt: (headers: Record<string, string>) => Promise<R>,
  { refresh = true, release, signal }: WithAccessTokenOptions<R> = {},
): Promise<R> {
  let sentWith = getTokenVersion();
  const authorized = () => {
    sentWith = getTokenVersion();
    const token = getAccessToken();
    return attempt(token ? { authorization: `Bearer ${token}` } : {});
  };
  let res = await authorized();
  if (res.status !== 401 || !refresh) return res;
  release?.(res);
  const refreshed = await refreshAccessToken(sentWith);
  if (signal?.aborted) return res;
  if (refreshed) res = await authorized();
  if (res.status === 401) await endSession('refused');
  return res;
}
