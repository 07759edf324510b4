import { QueryClientProvider } from '@tanstack/react-query';
import { useEffect } from 'react';
import { RouterProvider } from 'react-router';
import { ToastProvider } from '../components/toasts';
import { followOtherTab, restoreSession } from '../features/auth';
import { onAuthMessage } from '../lib/auth-channel';
import { queryClient } from '../lib/query-client';
import { sessionStore } from '../lib/session';
import { router } from './router';

export function App() {
  useEffect(() => {
    void restoreSession();
    // Opened offline: the session is checked again as soon as the network is back.
    const reconnect = () => {
      if (sessionStore.get().status === 'offline') void restoreSession();
    };
    window.addEventListener('online', reconnect);
    const unsubscribe = onAuthMessage((m) => {
      if (m.type !== 'token') void followOtherTab(m.type);
    });
    return () => {
      window.removeEventListener('online', reconnect);
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
