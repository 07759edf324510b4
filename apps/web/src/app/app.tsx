import { QueryClientProvider } from '@tanstack/react-query';
import { useEffect } from 'react';
import { RouterProvider } from 'react-router';
import { ToastProvider } from '../components/toasts';
import { followOtherTab, restoreSession } from '../features/auth';
import { onAuthMessage } from '../lib/auth-channel';
import { onReconnect } from '../lib/connection';
import { queryClient } from '../lib/query-client';
import { sessionStore } from '../lib/session';
import { router } from './router';

export function App() {
  useEffect(() => {
    void restoreSession();
    // Back online (the browser said so, or a probe got an answer): the session is checked again if it
    // could not be, and everything on screen is fetched afresh.
    const stopReconnect = onReconnect(() => {
      if (sessionStore.get().status === 'offline') void restoreSession();
      void queryClient.invalidateQueries();
    });
    const unsubscribe = onAuthMessage((m) => {
      if (m.type !== 'token') void followOtherTab(m.type);
    });
    return () => {
      stopReconnect();
      unsubscribe();
    };
  }, []);
  return (
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <RouterProvider router={router} />
      </ToastProvider>
    </QueryClientProvider>
  );
}
