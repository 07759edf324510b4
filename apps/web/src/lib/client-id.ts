/**
 * This tab's id, sent as `X-Client-Id` with every API request. The server copies it into the
 * `source` of the events a request causes, so the live stream can tell this tab's own changes
 * (no toast) from changes made elsewhere. New on every page load; never stored, so a duplicated
 * tab gets its own.
 */
export const CLIENT_ID_HEADER = 'x-client-id';

export function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export const CLIENT_ID = newClientId();
