import type { Problem } from '@crewdesk/contracts';
import { CLIENT_ID, CLIENT_ID_HEADER } from './client-id';
import { forgetLocalData } from './local-data';
import { getAccessToken, getTokenVersion, sessionStore, setAccessToken } from './session';

export const API_URL = (import.meta.env.VITE_API_URL ?? '').replace(/\/$/, '');

/** An answer from the API that was not 2xx, with its problem+json body when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem?.detail ?? problem?.title ?? `Request failed (${status})`);
    this.name = 'ApiError';
  }

  /** Field path → message, for putting server errors next to form fields. */
  get fieldErrors(): Record<string, string> {
    return Object.fromEntries((this.problem?.errors ?? []).map((e) => [e.path, e.message]));
  }
}

/** The API could not be reached at all (offline, server down). */
export class NetworkError extends Error {
  constructor(cause?: unknown) {
    super('Cannot reach Crewdesk. Check your connection.', { cause });
    this.name = 'NetworkError';
  }
}

type AuthMessage = { type: 'token'; token: string } | { type: 'signed-out' } | { type: 'signed-in' };
const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('crewdesk-auth');
const authListeners = new Set<(m: AuthMessage) => void>();
channel?.addEventListener('message', (event: MessageEvent<AuthMessage>) => {
  if (event.data.type === 'token') setAccessToken(event.data.token);
  for (const l of authListeners) l(event.data);
});
export function onAuthMessage(listener: (m: AuthMessage) => void) {
  authListeners.add(listener);
  return () => {
    authListeners.delete(listener);
  };
}
export function broadcast(message: AuthMessage) {
  channel?.postMessage(message);
}

/** Every request carries this tab's id, so the events it causes can be recognised as its own. */
async function send(url: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set(CLIENT_ID_HEADER, CLIENT_ID);
  try {
    return await fetch(url, { credentials: 'include', ...init, headers });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new NetworkError(err);
  }
}

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

/** The session is over (revoked, expired): forget the token; the router sends the user to sign in. */
export function endSession() {
  setAccessToken(null);
  sessionStore.set({ status: 'anonymous', user: null });
  void forgetLocalData();
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
}

export function buildUrl(path: string, query?: RequestOptions['query']) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return `${API_URL}${path}${qs ? `?${qs}` : ''}`;
}

async function problemOf(res: Response): Promise<Problem | null> {
  try {
    return (await res.json()) as Problem;
  } catch {
    return null;
  }
}

/** Calls the API with the access token; on 401 refreshes once and retries. */
export async function apiResponse(path: string, options: RequestOptions = {}): Promise<Response> {
  const url = buildUrl(path, options.query);
  let sentWith = getTokenVersion();
  const attempt = () => {
    sentWith = getTokenVersion();
    const token = getAccessToken();
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    return send(url, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  };
  let res = await attempt();
  if (res.status === 401 && !path.startsWith('/api/v1/auth/')) {
    if (await refreshAccessToken(sentWith)) {
      res = await attempt();
    }
    if (res.status === 401) {
      endSession();
    }
  }
  if (!res.ok) throw new ApiError(res.status, await problemOf(res));
  return res;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const res = await apiResponse(path, options);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** For the auth endpoints, which never trigger a refresh. */
export async function authRequest<T>(path: string, body?: unknown): Promise<T> {
  const res = await send(`${API_URL}${path}`, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new ApiError(res.status, await problemOf(res));
  return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError || err instanceof NetworkError) return err.message;
  return 'Something went wrong. Try again.';
}

/**
 * Multipart upload with progress (fetch cannot report upload progress). Same auth as `api`: the
 * bearer token, and one refresh-and-retry on 401.
 */
export async function uploadForm<T>(path: string, form: FormData, onProgress?: (fraction: number) => void): Promise<T> {
  const attempt = () =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', buildUrl(path));
      xhr.withCredentials = true;
      xhr.setRequestHeader(CLIENT_ID_HEADER, CLIENT_ID);
      const token = getAccessToken();
      if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress?.(e.loaded / e.total);
      };
      xhr.onload = () => {
        let body: unknown = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = null;
        }
        resolve({ status: xhr.status, body });
      };
      xhr.onerror = () => reject(new NetworkError());
      xhr.send(form);
    });
  let res = await attempt();
  if (res.status === 401 && (await refreshAccessToken())) res = await attempt();
  if (res.status === 401) endSession();
  if (res.status < 200 || res.status >= 300) throw new ApiError(res.status, res.body as Problem | null);
  return res.body as T;
}
