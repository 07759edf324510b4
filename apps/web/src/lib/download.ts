import { apiResponse } from './api';
import type { Query } from './http';

/** Fetches a file through the authenticated client, then hands it to the browser as a download. */
export async function download(path: string, query: Query, fallbackName: string) {
  const res = await apiResponse(path, { query });
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** This browser's IANA time zone (`Asia/Kolkata`), or undefined where the runtime cannot tell. */
export function localTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

/** A CSV export, its times written in the user's own time zone (named in each time column's header). */
export const downloadCsv = (path: string, query: Query, fallbackName: string) =>
  download(path, { ...query, tz: localTimeZone() }, fallbackName);
