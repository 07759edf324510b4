import type { LiveEvent } from '@crewdesk/contracts';
import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { useToast } from '../components/toasts';
import { createBatcher } from './batcher';
import { CLIENT_ID } from './client-id';
import { createLiveClient } from './live';
import type { LiveHandlers } from './live-handlers';
import { useSession } from './session';
import { useOnline } from './use-online';

/** Events that arrive within this long of each other make one toast (per feature). */
const TOAST_WINDOW_MS = 1_000;

/**
 * Keeps the signed-in user's screens current from the live event stream: each event refreshes the
 * queries the features registered for it, and changes made elsewhere (another tab, device or user)
 * show the features' short toasts. Connected while signed in and online; mount it once, in the
 * signed-in shell.
 */
export function useLiveUpdates(handlers: LiveHandlers) {
  const session = useSession();
  const online = useOnline();
  const queryClient = useQueryClient();
  const toast = useToast();
  const userId = session.status === 'authenticated' ? (session.user?.id ?? null) : null;

  // One client per signed-in user, so the last event id survives going offline and back.
  const live = useMemo(() => {
    if (userId === null) return null;
    const invalidate = createBatcher<QueryKey>(
      (keys) => {
        const unique = new Map(keys.map((k) => [JSON.stringify(k), k]));
        for (const queryKey of unique.values()) void queryClient.invalidateQueries({ queryKey });
      },
      { delayMs: 100, maxWaitMs: 500 },
    );
    const toasts = createBatcher<LiveEvent>(
      (events) => {
        for (const message of handlers.toasts(events, { userId })) toast(message);
      },
      { delayMs: TOAST_WINDOW_MS, maxWaitMs: 3 * TOAST_WINDOW_MS },
    );
    const client = createLiveClient({
      onEvent(event) {
        invalidate.push(...handlers.invalidations(event.topic));
        // This tab's own changes are already on its screen.
        if (event.source !== CLIENT_ID) toasts.push(event);
      },
      onResync() {
        invalidate.cancel();
        void queryClient.invalidateQueries();
      },
    });
    return {
      start: client.start,
      stop() {
        client.stop();
        invalidate.flush();
        toasts.cancel();
      },
    };
  }, [userId, queryClient, toast, handlers]);

  useEffect(() => {
    if (!live || !online) return;
    live.start();
    return live.stop;
  }, [live, online]);
}
