import { createBrowserRouter, Navigate } from 'react-router';
import { AppShell } from './app-shell';
import { PublicShell } from './public-shell';
import { RouteError } from './route-error';
import { Spinner } from '../components/states';

/** Every page is its own chunk; the shell and the session logic are all the first load needs. */
export const router = createBrowserRouter([
  {
    element: <PublicShell />,
    errorElement: <RouteError />,
    hydrateFallbackElement: <Spinner label="Opening Crewdesk…" />,
    children: [
      {
        path: '/sign-in',
        lazy: async () => ({ Component: (await import('../features/auth/routes/sign-in')).SignInPage }),
      },
      {
        path: '/register',
        lazy: async () => ({ Component: (await import('../features/auth/routes/register')).RegisterPage }),
      },
      { path: '/setup', lazy: async () => ({ Component: (await import('../features/auth/routes/setup')).SetupPage }) },
    ],
  },
  {
    path: '/',
    element: <AppShell />,
    errorElement: <RouteError />,
    hydrateFallbackElement: <Spinner label="Opening Crewdesk…" />,
    children: [
      { index: true, element: <Navigate to="/tasks" replace /> },
      {
        path: 'tasks',
        lazy: async () => ({ Component: (await import('../features/tasks/routes/tasks-page')).TasksPage }),
      },
      {
        path: 'dashboard',
        lazy: async () => ({ Component: (await import('../features/dashboard/routes/dashboard-page')).DashboardPage }),
      },
      {
        path: 'settings',
        lazy: async () => ({ Component: (await import('../features/settings/routes/settings-page')).SettingsPage }),
      },
      {
        path: 'leads',
        lazy: async () => ({ Component: (await import('../features/leads/routes/leads-page')).LeadsPage }),
      },
      {
        path: 'admin/agents',
        lazy: async () => ({ Component: (await import('../features/agents/routes/agents-page')).AgentsPage }),
      },
      {
        path: 'admin/import',
        lazy: async () => ({ Component: (await import('../features/imports/routes/import-page')).ImportPage }),
      },
      {
        path: 'admin/users',
        lazy: async () => ({ Component: (await import('../features/users/routes/users-page')).UsersPage }),
      },
      { path: '*', lazy: async () => ({ Component: (await import('./not-found')).NotFoundPage }) },
    ],
  },
]);
