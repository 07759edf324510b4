// The users feature's public surface: what app/ and the other features may import from it.
export { usersLiveHandlers } from './live';

/** The users admin page, a chunk of its own that loads when the route is first opened. */
export const loadUsersPage = async () => ({ Component: (await import('./routes/users-page')).UsersPage });
