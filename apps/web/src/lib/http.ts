import type { Problem } from '@crewdesk/contracts';
import { NetworkError } from './api-errors';
import { CLIENT_ID, CLIENT_ID_HEADER } from './client-id';
import { suspectUnreachable } from './connection';

/** The transport under every API call: where the API is, this tab's id, and what "unreachable" looks like. */

export const API_URL = (import.meta.env.VITE_API_URL ?? '').replace(/\/$/, '');

export type Query = Record<string, string | number | boolean | undefined | null>;

export function buildUrl(path: string, query?: Query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return `${API_URL}${path}${qs ? `?${qs}` : ''}`;
}

/** Every request carries this tab's id, so the events it causes can be recognised as its own. */
export async function send(url: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set(CLIENT_ID_HEADER, CLIENT_ID);
  try {
    return await fetch(url, { credentials: 'include', ...init, headers });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    suspectUnreachable();
    throw new NetworkError(err);
  }
}

export async function problemOf(res: Response): Promise<Problem | null> {
  try {
    return (await res.json()) as Problem;
  } catch {
    return null;
  }
}
