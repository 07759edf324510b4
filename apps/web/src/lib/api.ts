import type { Problem } from '@crewdesk/contracts';
import { withAccessToken } from './access-token';
import { ApiError, NetworkError } from './api-errors';
import { CLIENT_ID, CLIENT_ID_HEADER } from './client-id';
import { suspectUnreachable } from './connection';
import { API_URL, buildUrl, problemOf, send, type Query } from './http';

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
  /** Sent as Idempotency-Key; every POST gets a fresh one unless given, reused by the retry after a refresh. */
  idempotencyKey?: string;
}

/** The headers a POST carries so that the server creates once however often it arrives (a gateway's retry). */
const idempotency = (method: string, key?: string): Record<string, string> =>
  method === 'POST' ? { 'idempotency-key': key ?? crypto.randomUUID() } : {};

/** Calls the API with the access token (refreshed once on 401, except for the auth endpoints). */
export async function apiResponse(path: string, options: RequestOptions = {}): Promise<Response> {
  const url = buildUrl(path, options.query);
  const method = options.method ?? 'GET';
  const once = idempotency(method, options.idempotencyKey);
  const res = await withAccessToken(
    (auth) =>
      send(url, {
        method,
        headers: {
          ...auth,
          ...once,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      }),
    { refresh: !path.startsWith('/api/v1/auth/') },
  );
  if (!res.ok) throw new ApiError(res.status, await problemOf(res));
  return res;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const res = await apiResponse(path, options);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** For signing in, up and the first admin: no token to send, nothing to refresh. */
export async function authRequest<T>(path: string, body?: unknown): Promise<T> {
  const res = await send(`${API_URL}${path}`, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new ApiError(res.status, await problemOf(res));
  return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
}

/** Multipart upload with progress (fetch cannot report upload progress), with the same token handling as `api`. */
export async function uploadForm<T>(path: string, form: FormData, onProgress?: (fraction: number) => void): Promise<T> {
  const once = idempotency('POST');
  const res = await withAccessToken(
    (auth) =>
      new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', buildUrl(path));
        xhr.withCredentials = true;
        xhr.setRequestHeader(CLIENT_ID_HEADER, CLIENT_ID);
        for (const [name, value] of Object.entries({ ...auth, ...once })) xhr.setRequestHeader(name, value);
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
        xhr.onerror = () => {
          suspectUnreachable();
          reject(new NetworkError());
        };
        xhr.send(form);
      }),
  );
  if (res.status < 200 || res.status >= 300) throw new ApiError(res.status, res.body as Problem | null);
  return res.body as T;
}
