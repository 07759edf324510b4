import { useMutationState, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { errorMessage } from '../lib/api-errors';
import { useToast } from './toasts';

/** How many saves are waiting for the connection (paused by the query client until a probe answers). */
export const useWaitingSaves = () =>
  useMutationState({ filters: { status: 'pending', predicate: (m) => m.state.isPaused } }).length;

/** Said where a save was attempted, while it waits: never a spinner alone. */
export function PendingSaveNotice() {
  const waiting = useWaitingSaves();
  if (!waiting) return null;
  return (
    <p className="notice notice-warning" role="status">
      Not saved yet: waiting for the connection. It is saved as soon as the connection is back.
    </p>
  );
}

/** A save that had to wait for the connection says how it ended, once it has. */
export function useSaveOutcomes() {
  const client = useQueryClient();
  const toast = useToast();
  useEffect(() => {
    const waited = new Set<number>();
    return client.getMutationCache().subscribe((event) => {
      if (event.type !== 'updated') return;
      const { mutationId, state } = event.mutation;
      if (state.isPaused) {
        waited.add(mutationId);
        return;
      }
      if (!waited.has(mutationId) || state.status === 'pending') return;
      waited.delete(mutationId);
      if (state.status === 'success') toast('Saved: the connection is back', { tone: 'success' });
      else if (state.status === 'error') toast(`Not saved: ${errorMessage(state.error)}`, { tone: 'error' });
    });
  }, [client, toast]);
}
