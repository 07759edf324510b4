import { zodResolver } from '@hookform/resolvers/zod';
import { useRef, useState, type BaseSyntheticEvent } from 'react';
import { useForm, type FieldValues, type Path, type UseFormProps, type UseFormSetError } from 'react-hook-form';
import type { z } from 'zod';
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

/**
 * Every form's wiring: react-hook-form checked in the browser by a zod schema (the API's own, from
 * the contracts, where there is one), and a `submit(action)` whose failure puts the server's field
 * errors next to the `fields` named and everything else in `formError`, for a <FormError>.
 */
export function useServerForm<TIn extends FieldValues, TOut>({
  schema,
  fields,
  ...options
}: Omit<UseFormProps<TIn, unknown, TOut>, 'resolver'> & {
  schema: z.ZodType<TOut, TIn>;
  /** The fields a server error may be shown next to; an error on any other path is a form error. */
  fields: readonly Path<TIn>[];
}) {
  const form = useForm<TIn, unknown, TOut>({ ...options, resolver: zodResolver(schema) });
  const [formError, setFormError] = useState<string | null>(null);
  // A second submit while the first is still being handled (a double click, Enter twice) is ignored.
  const running = useRef(false);
  const submit = (action: (values: TOut) => Promise<unknown>) => {
    const handle = form.handleSubmit(async (values) => {
      setFormError(null);
      try {
        await action(values);
      } catch (err) {
        setFormError(applyServerErrors(err, form.setError, fields));
      }
    });
    return async (event?: BaseSyntheticEvent) => {
      if (running.current) {
        event?.preventDefault();
        return;
      }
      running.current = true;
      try {
        await handle(event);
      } finally {
        running.current = false;
      }
    };
  };
  return { ...form, formError, setFormError, submit };
}
