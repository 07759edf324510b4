import { useMutation } from '@tanstack/react-query';
import { useCallback, useRef } from 'react';
import { ApiError } from './api-errors';

/** One user intent: the body it sends and the Idempotency-Key that names it on the server. */
interface Intent {
  key: string;
  body: string;
}

/**
 * The server answered for good (a 4xx other than "still being answered" or "slow down"): that answer
 * is what this key now replays, so the next attempt is a new intent with a new key.
 */
const settled = (err: unknown) =>
  err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 409 && err.status !== 429;

/**
 * Every create in the web client goes through this: a double submit joins the request already on
 * its way instead of sending a second one, and each intent carries one `Idempotency-Key` — the same
 * one when the same body is sent again after a failure whose outcome is unknown (a dropped
 * connection, a 5xx), so the server creates at most once; a new one after a success, after a
 * definitive refusal, or when the body changed. `isPending` is for disabling the submit button.
 */
export function useCreate<TBody, TResult>({
  create,
  onSuccess,
}: {
  /** Sends the create with the key given. */
  create: (body: TBody, idempotencyKey: string) => Promise<TResult>;
  onSuccess?: (result: TResult, body: TBody) => unknown;
}) {
  const intent = useRef<Intent | null>(null);
  const inFlight = useRef<Promise<TResult> | null>(null);
  const mutation = useMutation({
    mutationFn: ({ body, key }: { body: TBody; key: string }) => create(body, key),
    onSuccess: (result, { body }) => onSuccess?.(result, body),
  });
  const { mutateAsync } = mutation;
  const submit = useCallback(
    (body: TBody): Promise<TResult> => {
      if (inFlight.current) return inFlight.current;
      const fingerprint = JSON.stringify(body);
      if (intent.current?.body !== fingerprint) intent.current = { key: crypto.randomUUID(), body: fingerprint };
      const mine = intent.current;
      const request = mutateAsync({ body, key: mine.key }).then(
        (result) => {
          if (intent.current === mine) intent.current = null;
          return result;
        },
        (err: unknown) => {
          if (settled(err) && intent.current === mine) intent.current = null;
          throw err;
        },
      );
      inFlight.current = request;
      const clear = () => {
        if (inFlight.current === request) inFlight.current = null;
      };
      request.then(clear, clear);
      return request;
    },
    [mutateAsync],
  );
  const mutate = useCallback(
    (body: TBody, callbacks: { onSuccess?: (result: TResult) => void; onError?: (err: unknown) => void } = {}) => {
      submit(body).then(callbacks.onSuccess, (err: unknown) => callbacks.onError?.(err));
    },
    [submit],
  );
  return { ...mutation, mutate, mutateAsync: submit };
}
