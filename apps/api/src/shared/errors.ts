/** Domain errors carry a code; only the HTTP error handler turns codes into statuses. */
export const errorCodes = {
  bad_request: { status: 400, title: 'Bad request' },
  validation: { status: 400, title: 'Validation failed' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  /** The right password for an account an admin deactivated (a wrong one is `unauthorized`, as for anyone). */
  account_deactivated: { status: 403, title: 'Account deactivated' },
  not_found: { status: 404, title: 'Not found' },
  request_timeout: { status: 408, title: 'Request timeout' },
  conflict: { status: 409, title: 'Conflict' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  uri_too_long: { status: 414, title: 'URI too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  unprocessable: { status: 422, title: 'Unprocessable content' },
  headers_too_large: { status: 431, title: 'Request header fields too large' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const;

export type ErrorCode = keyof typeof errorCodes;
export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly extra: { errors?: FieldError[]; retryAfterSeconds?: number } = {},
  ) {
    super(message ?? errorCodes[code].title);
    this.name = 'AppError';
  }
}

export const notFound = (what = 'Resource') => new AppError('not_found', `${what} not found`);
export const fieldError = (path: string, message: string, detail = 'The request is not valid') =>
  new AppError('validation', detail, { errors: [{ path, message }] });
