import type { Problem } from '@crewdesk/contracts';

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

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError || err instanceof NetworkError) return err.message;
  return 'Something went wrong. Try again.';
}

/** Whether the API answered with the problem type of this code (`urn:crewdesk:problem:<code>`). */
export const isProblem = (err: unknown, code: string): err is ApiError =>
  err instanceof ApiError && err.problem?.type === `urn:crewdesk:problem:${code}`;
