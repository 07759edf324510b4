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
