// The dashboard feature's public surface: what app/ and the other features may import from it.
export { dashboardLiveHandlers } from './live';

/** The dashboard, a chunk of its own (the chart library another) that loads when the route is first opened. */
export const loadDashboardPage = async () => ({
  Component: (await import('./routes/dashboard-page')).DashboardPage,
});
