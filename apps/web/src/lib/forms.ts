import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';
import { ApiError, errorMessage } from './api-errors';

/**
 * Puts the server's field errors (problem+json `errors[].path`) next to the matching fields and
 * returns the message for everything else, or null when every error found its field.
 */
export function applyServerErrors<T extends FieldValues>(
  err: unknown,
  setError: UseFormSetError<T>,
  fields: readonly string[],
): string | null {
  if (!(err instanceof ApiError)) return errorMessage(err);
  const unplaced: string[] = [];
  for (const [path, message] of Object.entries(err.fieldErrors)) {
    if (fields.includes(path)) setError(path as Path<T>, { type: 'server', message });
    else unplaced.push(message);
  }
  if (Object.keys(err.fieldErrors).length === 0) return err.message;
  return unplaced.length ? unplaced.join(' ') : null;
}
