import { createBrowserRouter } from 'react-router';
import { Spinner } from '../components/states';
import { loadAgentsPage } from '../features/agents';
import { loadRegisterPage, loadSetupPage, loadSignInPage } from '../features/auth';
import { loadDashboardPage } from '../features/dashboard';
import { loadImportPage } from '../features/imports';
import { loadLeadPage, loadLeadsPage } from '../features/leads';
import { loadGetStartedPage } from '../features/onboarding';
import { loadSettingsPage } from '../features/settings';
import { loadTasksPage } from '../features/tasks';
import { loadUsersPage } from '../features/users';
import { AppShell } from './app-shell';
import { HomeRedirect } from './home';
import { PublicShell } from './public-shell';
import { RouteError } from './route-error';

/** Every page is its own chunk; the shell and the session logic are all the first load needs. */
export const router = createBrowserRouter([
  {
    element: <PublicShell />,
    errorElement: <RouteError />,
    hydrateFallbackElement: <Spinner label="Opening Crewdesk…" />,
    children: [
      { path: '/sign-in', lazy: loadSignInPage },
      { path: '/register', lazy: loadRegisterPage },
      { path: '/setup', lazy: loadSetupPage },
    ],
  },
  {
    path: '/',
    element: <AppShell />,
    errorElement: <RouteError />,
    hydrateFallbackElement: <Spinner label="Opening Crewdesk…" />,
    children: [
      { index: true, element: <HomeRedirect /> },
      { path: 'tasks', lazy: loadTasksPage },
      { path: 'dashboard', lazy: loadDashboardPage },
      { path: 'get-started', lazy: loadGetStartedPage },
      { path: 'settings', lazy: loadSettingsPage },
      { path: 'leads', lazy: loadLeadsPage },
      { path: 'leads/:id', lazy: loadLeadPage },
      { path: 'admin/agents', lazy: loadAgentsPage },
      { path: 'admin/import', lazy: loadImportPage },
      { path: 'admin/users', lazy: loadUsersPage },
      { path: '*', lazy: async () => ({ Component: (await import('./not-found')).NotFoundPage }) },
    ],
  },
]);
