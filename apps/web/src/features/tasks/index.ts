// The tasks feature's public surface: what app/ and the other features may import from it.
export { tasksLiveHandlers } from './live';

/** The tasks page, a chunk of its own that loads when the route is first opened. */
export const loadTasksPage = async () => ({ Component: (await import('./routes/tasks-page')).TasksPage });
