import { QueryClientProvider } from '@tanstack/react-query';
import { useEffect } from 'react';
import { RouterProvider } from 'react-router';
import { ToastProvider } from '../components/toasts';
import { followOtherTab, restoreSession } from '../features/auth/api/session-actions';
import { onAuthMessage } from '../lib/api';
import { queryClient } from '../lib/query-client';
import { router } from './router';

export function App() {
  useEffect(() => {
    void restoreSession();
    return onAuthMessage((m) => {
      if (m.type !== 'token') void followOtherTab(m.type);
    });
  }, []);
  return (
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <RouterProvider router={router} />
      </ToastProvider>
    </QueryClientProvider>
  );
}
